//! Whether a checkpoint's offset is a place a run can stop in an input that can seek.

use super::SeekRead;
use std::io::{self, SeekFrom};

/// Checks that `offset` is not past the end of `file` and is at the start of a line (offset
/// 0, after LF, or after a leading byte order mark) or at the end.
pub(super) fn check(file: &mut dyn SeekRead, offset: u64) -> Result<(), String> {
    let io = |e: io::Error| format!("cannot read it: {e}");
    let size = file.seek(SeekFrom::End(0)).map_err(io)?;
    if offset > size {
        return Err(format!(
            "offset {offset} is past the end of the input ({size} bytes)"
        ));
    }
    // 0, or the end (after a last line without LF, the end is where a run stops).
    if offset == 0 || offset == size {
        return Ok(());
    }
    let mut head = [0u8; 3];
    if offset == 3 {
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.read_exact(&mut head).map_err(io)?;
        if head == [0xEF, 0xBB, 0xBF] {
            return Ok(());
        }
    }
    let mut before = [0u8; 1];
    file.seek(SeekFrom::Start(offset - 1)).map_err(io)?;
    file.read_exact(&mut before).map_err(io)?;
    if before[0] != b'\n' {
        return Err(format!("offset {offset} is not at the start of a line"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn offsets_at_line_starts_the_end_or_after_a_bom_fit() {
        let text = b"\xEF\xBB\xBFa f=1i 1\nb f=2i 2";
        let at = |offset| check(&mut Cursor::new(&text[..]), offset);
        for fits in [0, 3, 12, text.len() as u64] {
            assert_eq!(at(fits), Ok(()), "{fits}");
        }
        assert!(at(5).unwrap_err().contains("not at the start of a line"));
        assert!(at(40)
            .unwrap_err()
            .contains("past the end of the input (20 bytes)"));
    }
}
