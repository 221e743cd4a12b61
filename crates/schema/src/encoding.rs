//! The top-level `encoding` key: the character encoding of the input, decoded to UTF-8 by the
//! engine's input layer before anything is parsed.

/// The character encoding of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8 (a UTF-16 byte order mark is still recognised).
    #[default]
    Utf8,
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// ISO-8859-1: each byte is the code point of the same number (0x80-0x9F included).
    Latin1,
    /// Windows code page 1252 (0x80-0x9F are `€`, `‚`, ..., as the WHATWG standard maps them).
    Windows1252,
}

impl TextEncoding {
    /// Every accepted name, in the order the error message lists them.
    pub const NAMES: [&'static str; 5] =
        ["utf-8", "utf-16le", "utf-16be", "latin1", "windows-1252"];

    /// Parses a name of [`TextEncoding::NAMES`] (ASCII case ignored).
    pub fn parse(s: &str) -> Option<TextEncoding> {
        Some(match s.to_ascii_lowercase().as_str() {
            "utf-8" => TextEncoding::Utf8,
            "utf-16le" => TextEncoding::Utf16Le,
            "utf-16be" => TextEncoding::Utf16Be,
            "latin1" => TextEncoding::Latin1,
            "windows-1252" => TextEncoding::Windows1252,
            _ => return None,
        })
    }

    /// The schema spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Latin1 => "latin1",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }

    /// Whether the key could recognise a UTF-16 byte order mark (the single-byte encodings
    /// read `FF FE` as two characters).
    pub fn sniffs_bom(self) -> bool {
        !matches!(self, TextEncoding::Latin1 | TextEncoding::Windows1252)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back() {
        for n in TextEncoding::NAMES {
            assert_eq!(TextEncoding::parse(n).map(TextEncoding::as_str), Some(n));
        }
        assert_eq!(TextEncoding::parse("UTF-16LE"), Some(TextEncoding::Utf16Le));
        assert_eq!(TextEncoding::parse("iso-8859-1"), None);
    }
}
