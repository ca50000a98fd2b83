//! An append-only vector whose versions share storage: cloning copies a list of block pointers,
//! appending copies at most the last block. Readers keep an old version while writers extend a
//! new one, so index snapshots stay cheap however large the index grows.

use std::sync::Arc;

const BLOCK: usize = 1024;

#[derive(Debug)]
pub(crate) struct PersistentVec<T> {
    blocks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Clone for PersistentVec<T> {
    fn clone(&self) -> Self {
        PersistentVec {
            blocks: self.blocks.clone(),
            len: self.len,
        }
    }
}

impl<T> Default for PersistentVec<T> {
    fn default() -> Self {
        PersistentVec {
            blocks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> PersistentVec<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, index: usize) -> &T {
        &self.blocks[index / BLOCK][index % BLOCK]
    }

    pub fn push(&mut self, value: T) {
        if self.len % BLOCK == 0 {
            self.blocks.push(Arc::new(Vec::with_capacity(BLOCK)));
        }
        let last = self.blocks.last_mut().expect("a block exists");
        let block = Arc::make_mut(last);
        if block.capacity() < BLOCK {
            block.reserve_exact(BLOCK - block.len());
        }
        block.push(value);
        self.len += 1;
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.blocks.iter().flat_map(|block| block.iter())
    }

    /// Bytes of the blocks themselves (not of what the elements point to).
    pub fn memory_size(&self) -> usize {
        self.blocks
            .iter()
            .map(|block| block.capacity() * std::mem::size_of::<T>())
            .sum::<usize>()
            + self.blocks.capacity() * std::mem::size_of::<Arc<Vec<T>>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_do_not_see_later_appends() {
        let mut a = PersistentVec::default();
        for i in 0..3000 {
            a.push(i);
        }
        let old = a.clone();
        for i in 3000..5000 {
            a.push(i);
        }
        assert_eq!(old.len(), 3000);
        assert_eq!(
            old.iter().copied().collect::<Vec<_>>(),
            (0..3000).collect::<Vec<_>>()
        );
        assert_eq!(a.len(), 5000);
        assert_eq!(*a.get(4321), 4321);
        assert_eq!(a.iter().count(), 5000);
    }
}
