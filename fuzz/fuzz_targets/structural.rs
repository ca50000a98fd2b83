//! The structural scan against the reference on arbitrary bytes: the vector block masks (every
//! structural byte, the line breaks, each byte class) equal the byte-by-byte masks, the line
//! splitter equals InfluxDB's `scanLine` byte by byte, and the parser that reads each line
//! through the masks the splitter left gives exactly the points and errors of the one that tests
//! every byte (which also leaves out the check of a line's names against the last line's): on
//! the input, and on the input with every line doubled, so that each line also comes after one
//! with its own names. The lines also go into column builders, one told the parser's id for
//! each line's names (which lets it skip comparing them) and one not: both build the same tables
//! and refuse the same lines, and lines given the same id have the same names.
#![no_main]

use influxlp::columnar::{BatchBuilder, MeasurementTable};
use influxlp::line_protocol::structural::{
    block_masks, block_masks_scalar, class_masks, class_masks_scalar, ByteByByte, Structural,
};
use influxlp::line_protocol::{
    line_end, line_end_bytewise, LineParser, ParsedLine, ParserOptions, ShapeId,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for block in data.chunks(64) {
        let mut padded = [0u8; 64];
        padded[..block.len()].copy_from_slice(block);
        assert_eq!(block_masks(&padded), block_masks_scalar(&padded));
        assert_eq!(class_masks(&padded), class_masks_scalar(&padded));
    }
    let mut start = 0;
    while start < data.len() {
        let (end, newlines) = line_end(data, start);
        assert_eq!(end, line_end_bytewise(data, start));
        // The physical lines inside it, counted as the scan passes them.
        assert_eq!(
            newlines,
            data[start..end].iter().filter(|&&b| b == b'\n').count()
        );
        start = end + 1;
    }
    let doubled: Vec<u8> = data
        .split(|&b| b == b'\n')
        .flat_map(|line| [line, b"\n", line, b"\n"])
        .flatten()
        .copied()
        .collect();
    for body in [data, &doubled[..]] {
        for allow_unsigned in [false, true] {
            let options = ParserOptions {
                allow_unsigned,
                ..ParserOptions::default()
            };
            let mut scan = LineParser::<Structural>::with_finder(body, options);
            let mut reference = LineParser::<ByteByByte>::with_finder(body, options);
            let (mut a, mut b) = (ParsedLine::default(), ParsedLine::default());
            let (mut shaped, mut plain) = (BatchBuilder::new(), BatchBuilder::new());
            let mut ids: Vec<(ShapeId, Names)> = Vec::new();
            loop {
                let (x, y) = (scan.next_line(&mut a), reference.next_line(&mut b));
                assert_eq!(x, y);
                match x {
                    None => break,
                    Some(Ok(())) => {
                        assert_eq!(a, b);
                        let shape = scan.last_line_shape();
                        if let Some(id) = shape {
                            let names = names_of(&a);
                            match ids.iter().find(|(known, _)| *known == id) {
                                Some((_, known)) => assert_eq!(*known, names),
                                None => ids.push((id, names)),
                            }
                        }
                        let text = String::new;
                        assert_eq!(
                            shaped.append_shaped(&a, shape, &text),
                            plain.append(&b, &text)
                        );
                    }
                    Some(Err(_)) => {}
                }
            }
            let (shaped, plain) = (shaped.finish(), plain.finish());
            assert_eq!(shaped.len(), plain.len());
            for (x, y) in shaped.iter().zip(&plain) {
                assert_same_table(x, y);
            }
        }
    }
});

type Names = (Vec<u8>, Vec<Vec<u8>>, Vec<Vec<u8>>);

/// The measurement, tag keys and field keys of a line.
fn names_of(line: &ParsedLine<'_>) -> Names {
    (
        line.measurement.to_vec(),
        line.tags.iter().map(|(k, _)| k.to_vec()).collect(),
        line.fields.iter().map(|(k, _)| k.to_vec()).collect(),
    )
}

fn assert_same_table(x: &MeasurementTable, y: &MeasurementTable) {
    assert_eq!(x.name, y.name);
    assert_eq!(x.line_numbers, y.line_numbers);
    assert_eq!(x.batch.schema(), y.batch.schema());
    // Printed: array equality would call a NaN unequal to itself.
    for (a, b) in x.batch.columns().iter().zip(y.batch.columns()) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
}
