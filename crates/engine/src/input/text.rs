//! Whether an input is UTF-8 text with LF line ends: what is refused before a byte is
//! converted.

/// The UTF-8 byte order mark.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes looked at by [`text_problem`].
const SNIFF_BYTES: usize = 64 * 1024;

/// The [`text_problem`] of UTF-16 text (with or without a byte order mark), if `head` is.
fn utf16_problem(name: &str, head: &[u8]) -> Option<String> {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    let (kind, end) = if head.starts_with(b"\xFF\xFE") {
        ("little-endian, with a byte order mark", "le")
    } else if head.starts_with(b"\xFE\xFF") {
        ("big-endian, with a byte order mark", "be")
    } else if memchr::memchr(0, head).is_none() {
        // No NUL at all: not UTF-16 (the usual case, found at memchr's speed).
        return None;
    } else {
        // ASCII text in UTF-16: a NUL in every other byte, on one side only.
        let pairs = head.len() / 2;
        let even = head.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd = head.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        if pairs < 2 {
            return None;
        } else if odd * 10 >= pairs * 4 && even * 10 < pairs {
            ("little-endian, no byte order mark", "le")
        } else if even * 10 >= pairs * 4 && odd * 10 < pairs {
            ("big-endian, no byte order mark", "be")
        } else {
            return None;
        }
    };
    Some(format!(
        "is UTF-16 ({kind}); lpconvert reads UTF-8: to convert it, give the schema \
         encoding = \"utf-16{end}\" (infer: --encoding utf-16{end}), or convert it to UTF-8 \
         first, e.g. iconv -f UTF-16 -t UTF-8 {name} > {name}.utf8"
    ))
}

/// `reader` with its first bytes checked to be no UTF-16 (line protocol read as it is:
/// `replay`, `bench --from`): the error says so (its caller names the input). Reads only
/// what the first reads return (at least 4 bytes unless the input ends), so a slow pipe is
/// not held up; the bytes looked at are read again. Other problems (NUL bytes, an endless
/// line) are found by the line reader, as before.
pub fn refuse_utf16(
    name: &str,
    mut reader: Box<dyn std::io::Read + Send>,
) -> std::io::Result<Box<dyn std::io::Read + Send>> {
    use std::io::Read;
    let mut head = vec![0u8; 4096];
    let mut got = 0;
    while got < 4 {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    if let Some(problem) = utf16_problem(name, &head) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            problem,
        ));
    }
    Ok(Box::new(std::io::Cursor::new(head).chain(reader)))
}

/// What makes the start of an input unreadable as UTF-8 text with LF line ends, if
/// anything: UTF-16 (with or without a byte order mark), mostly NUL bytes (binary data,
/// `/dev/zero`) or CR-only line endings (old Mac OS). The text follows the input's name, e.g. `a.csv is UTF-16 (...)`.
pub fn text_problem(name: &str, head: &[u8]) -> Option<String> {
    let head = &head[..head.len().min(SNIFF_BYTES)];
    if let Some(p) = utf16_problem(name, head) {
        return Some(p);
    }
    let nul = memchr::memchr_iter(0, head).count();
    if nul > 0 && nul * 4 >= head.len() {
        return Some(format!(
            "is not text: {nul} of its first {} bytes are NUL (binary data, or an encoding \
             such as UTF-32); lpconvert reads UTF-8 text",
            head.len()
        ));
    }
    let mid_cr = memchr::memchr_iter(b'\r', head)
        .any(|i| head.get(i + 1).is_some_and(|&b| b != b'\n' && b != b'\r'));
    if mid_cr && memchr::memchr(b'\n', head).is_none() {
        return Some(format!(
            "has CR line endings (old Mac OS) and no line feeds: lpconvert ends lines with LF \
             or CRLF; convert it first, e.g. tr '\\r' '\\n' < {name} > {name}.lf"
        ));
    }
    None
}

/// Where `text` (decoded, or read as UTF-8) is not UTF-8, as a message for `infer`: the line
/// and byte, and the `--encoding` values that read any byte. A sequence cut at the end of
/// `text` (a sample's edge) is not counted.
pub fn not_utf8(text: &[u8]) -> Option<String> {
    let e = std::str::from_utf8(text).err()?;
    e.error_len()?;
    let at = e.valid_up_to();
    let line = memchr::memchr_iter(b'\n', &text[..at]).count() + 1;
    Some(format!(
        "is not UTF-8: line {line} holds the byte 0x{:02X}; give its encoding, e.g. \
         --encoding windows-1252 (files from Windows or Excel) or --encoding latin1",
        text[at]
    ))
}
