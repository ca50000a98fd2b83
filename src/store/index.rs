//! A measurement's index: its tag keys, the values of each tag (the dictionary every stored tag
//! column points into, so dictionaries are unified per measurement), its series and its fields
//! with their types. Ids are dense and never reused; an entry exists only once a committed row
//! refers to it, so listings (tag values, series) need no scan of the data.
//!
//! `IndexSnapshot` is the immutable part readers see; `IndexLookup` holds the hash maps from names
//! to ids that only a committing writer touches (under the store's commit lock).

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::StringArray;

use super::persistent::PersistentVec;
use crate::line_protocol::FieldType;

pub(crate) type FastMap<K, V> = hashbrown::HashMap<K, V, foldhash::fast::RandomState>;

/// What a reader of one measurement version sees of its index.
#[derive(Clone, Debug, Default)]
pub(crate) struct IndexSnapshot {
    /// Tag keys by tag id.
    pub tag_keys: Vec<Arc<str>>,
    /// Values of each tag, by tag id then value id (the dictionary of that tag's column).
    pub tag_values: Vec<PersistentVec<Arc<str>>>,
    /// Series keys (`cpu,host=a`) by series id.
    pub series_keys: PersistentVec<Arc<str>>,
    /// Field keys and types by field id.
    pub fields: Vec<(Arc<str>, FieldType)>,
}

impl IndexSnapshot {
    pub fn tag_id(&self, key: &str) -> Option<usize> {
        self.tag_keys.iter().position(|k| &**k == key)
    }

    pub fn field_type(&self, key: &str) -> Option<FieldType> {
        self.fields
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, t)| *t)
    }

    /// The dictionary of tag `tag_id` as an Arrow array.
    pub fn dictionary(&self, tag_id: usize) -> StringArray {
        let values = &self.tag_values[tag_id];
        let bytes = values.iter().map(|v| v.len()).sum();
        let mut builder = StringBuilder::with_capacity(values.len(), bytes);
        values.iter().for_each(|v| builder.append_value(v));
        builder.finish()
    }

    /// Bytes held by the index: the names and the blocks that list them.
    pub fn memory_size(&self) -> usize {
        let strings = |values: &PersistentVec<Arc<str>>| {
            values.memory_size() + values.iter().map(|v| v.len() + 16).sum::<usize>()
        };
        self.tag_values.iter().map(strings).sum::<usize>()
            + strings(&self.series_keys)
            + self.tag_keys.iter().map(|k| k.len() + 16).sum::<usize>()
            + self.fields.iter().map(|(k, _)| k.len() + 16).sum::<usize>()
    }
}

/// Name → id maps, shared by every version of one measurement and changed only by a writer that
/// holds the store's commit lock, right before it publishes the version with the new entries.
#[derive(Debug, Default)]
pub(crate) struct IndexLookup {
    tag_ids: FastMap<Arc<str>, u32>,
    value_ids: Vec<FastMap<Arc<str>, u32>>,
    series_ids: FastMap<Arc<str>, u32>,
    field_ids: FastMap<Arc<str>, u32>,
}

impl IndexLookup {
    /// The id of tag `key`, added to `index` when new.
    pub fn tag_id(&mut self, index: &mut IndexSnapshot, key: &str) -> u32 {
        if let Some(&id) = self.tag_ids.get(key) {
            return id;
        }
        let id = index.tag_keys.len() as u32;
        let key: Arc<str> = Arc::from(key);
        index.tag_keys.push(key.clone());
        index.tag_values.push(PersistentVec::default());
        self.tag_ids.insert(key, id);
        self.value_ids.push(FastMap::default());
        id
    }

    /// The id of `value` of tag `tag_id`, added to `index` when new.
    pub fn value_id(&mut self, index: &mut IndexSnapshot, tag_id: u32, value: &Arc<str>) -> u32 {
        let ids = &mut self.value_ids[tag_id as usize];
        if let Some(&id) = ids.get(&**value) {
            return id;
        }
        let values = &mut index.tag_values[tag_id as usize];
        let id = values.len() as u32;
        values.push(value.clone());
        ids.insert(value.clone(), id);
        id
    }

    /// The id of the series with `key`, added to `index` when new.
    pub fn series_id(&mut self, index: &mut IndexSnapshot, key: &Arc<str>) -> u32 {
        if let Some(&id) = self.series_ids.get(&**key) {
            return id;
        }
        let id = index.series_keys.len() as u32;
        index.series_keys.push(key.clone());
        self.series_ids.insert(key.clone(), id);
        id
    }

    /// The id of field `key`, added to `index` with `field_type` when new (the caller has checked
    /// that the type agrees with a stored one).
    pub fn field_id(&mut self, index: &mut IndexSnapshot, key: &str, field_type: FieldType) -> u32 {
        if let Some(&id) = self.field_ids.get(key) {
            return id;
        }
        let id = index.fields.len() as u32;
        let key: Arc<str> = Arc::from(key);
        index.fields.push((key.clone(), field_type));
        self.field_ids.insert(key, id);
        id
    }

    /// Bytes of the hash tables (the names themselves are counted with the snapshot).
    pub fn memory_size(&self) -> usize {
        fn table<V>(map: &FastMap<Arc<str>, V>) -> usize {
            map.capacity() * (std::mem::size_of::<(Arc<str>, V)>() + 1)
        }
        table(&self.tag_ids)
            + table(&self.series_ids)
            + table(&self.field_ids)
            + self.value_ids.iter().map(table).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_and_stable() {
        let mut index = IndexSnapshot::default();
        let mut lookup = IndexLookup::default();
        let host = lookup.tag_id(&mut index, "host");
        let region = lookup.tag_id(&mut index, "region");
        assert_eq!((host, region), (0, 1));
        assert_eq!(lookup.tag_id(&mut index, "host"), 0);
        let a: Arc<str> = Arc::from("a");
        let b: Arc<str> = Arc::from("b");
        assert_eq!(lookup.value_id(&mut index, host, &a), 0);
        assert_eq!(lookup.value_id(&mut index, host, &b), 1);
        assert_eq!(lookup.value_id(&mut index, host, &a), 0);
        assert_eq!(lookup.value_id(&mut index, region, &b), 0);
        assert_eq!(
            index.dictionary(0).iter().flatten().collect::<Vec<_>>(),
            vec!["a", "b"]
        );
        let key: Arc<str> = Arc::from("cpu,host=a");
        assert_eq!(lookup.series_id(&mut index, &key), 0);
        assert_eq!(lookup.series_id(&mut index, &key), 0);
        assert_eq!(lookup.field_id(&mut index, "v", FieldType::Float), 0);
        assert_eq!(index.field_type("v"), Some(FieldType::Float));
        assert_eq!(index.tag_id("region"), Some(1));
    }
}
