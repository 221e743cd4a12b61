use super::*;

/// A reader handing out at most `step` bytes per call.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn decoded(bytes: &[u8], declared: TextEncoding, step: usize) -> io::Result<String> {
    let input = Input {
        data: InputData::Stream(Box::new(Trickle {
            data: bytes.to_vec(),
            pos: 0,
            step,
        })),
        name: "t".into(),
        size: None,
    };
    let InputData::Stream(mut r) = decode(input, declared)?.data else {
        unreachable!("a stream stays a stream")
    };
    let mut out = Vec::new();
    // Read in small pieces too, so the decoder's output is handed out across calls.
    let mut piece = vec![0u8; step.max(1)];
    loop {
        let n = r.read(&mut piece)?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&piece[..n]);
    }
    Ok(String::from_utf8(out).expect("the decoder writes UTF-8"))
}

const TEXT: &str = "time,room,temp\n1,Küche 🌡,21.5\n2,\"Salle à manger\",€\n";

fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    for u in units {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

#[test]
fn utf16_with_and_without_bom_decodes_alike_at_every_read_size() {
    for step in 1..=64 {
        for le in [true, false] {
            let declared = if le {
                TextEncoding::Utf16Le
            } else {
                TextEncoding::Utf16Be
            };
            let with_bom = utf16(TEXT, le, true);
            assert_eq!(decoded(&with_bom, TextEncoding::Utf8, step).unwrap(), TEXT);
            assert_eq!(decoded(&with_bom, declared, step).unwrap(), TEXT);
            let bare = utf16(TEXT, le, false);
            assert_eq!(decoded(&bare, declared, step).unwrap(), TEXT);
        }
    }
}

#[test]
fn latin1_keeps_c1_controls_and_windows_1252_maps_them() {
    let bytes: Vec<u8> = (0x20u8..=0xFF).collect();
    for step in [1, 2, 3, 7, 64] {
        let latin1 = decoded(&bytes, TextEncoding::Latin1, step).unwrap();
        let expected: String = (0x20u32..=0xFF).filter_map(char::from_u32).collect();
        assert_eq!(latin1, expected);
        let cp1252 = decoded(&bytes, TextEncoding::Windows1252, step).unwrap();
        assert!(cp1252.contains('€') && cp1252.contains('‚') && cp1252.contains('ÿ'));
        assert_eq!(cp1252.chars().count(), bytes.len());
    }
    // A single-byte encoding reads FF FE as two characters, not as a byte order mark.
    assert_eq!(
        decoded(b"\xFF\xFEa", TextEncoding::Latin1, 1).unwrap(),
        "ÿþa"
    );
}

#[test]
fn utf8_passes_through_and_bad_utf16_is_an_error_with_its_offset() {
    assert_eq!(
        decoded(TEXT.as_bytes(), TextEncoding::Utf8, 3).unwrap(),
        TEXT
    );
    assert_eq!(decoded(b"", TextEncoding::Utf16Le, 1).unwrap(), "");
    assert_eq!(decoded(b"a", TextEncoding::Utf8, 1).unwrap(), "a");
    // An unpaired high surrogate followed by `a`.
    let bad = [b'x', 0, 0x00, 0xD8, b'a', 0];
    let e = decoded(&bad, TextEncoding::Utf16Le, 1).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    assert!(e.to_string().contains("byte 2"), "{e}");
    // An odd last byte.
    let e = decoded(b"a\0b", TextEncoding::Utf16Le, 64).unwrap_err();
    assert!(e.to_string().contains("UTF-16LE"), "{e}");
}
