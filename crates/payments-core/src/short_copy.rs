//! Copies (and fills) of a few bytes without a call to `memcpy`/`memmove`/`memset`, whose
//! set-up costs more than the copy: a signed text's pieces and a form's runs between escapes
//! are mostly a few bytes (separators, ids, amounts). Such a copy is two fixed-size, possibly
//! overlapping loads of the source's ends, then two stores; both are loaded before either is
//! stored, so a source and target that overlap are copied right too.

/// The ends of a short source, loaded; `Long` for a source left to the slice copies.
#[derive(Clone, Copy)]
enum Ends {
    Empty,
    One(u8),
    Two([u8; 2], [u8; 2]),
    Four([u8; 4], [u8; 4]),
    Eight([u8; 8], [u8; 8]),
    Long,
}

impl Ends {
    #[inline]
    fn load(source: &[u8]) -> Self {
        fn pair<const N: usize>(source: &[u8]) -> Option<([u8; N], [u8; N])> {
            Some((*source.first_chunk::<N>()?, *source.last_chunk::<N>()?))
        }
        let loaded = match source.len() {
            0 => Some(Self::Empty),
            1 => source.first().map(|byte| Self::One(*byte)),
            2..=3 => pair(source).map(|(head, tail)| Self::Two(head, tail)),
            4..=7 => pair(source).map(|(head, tail)| Self::Four(head, tail)),
            8..=16 => pair(source).map(|(head, tail)| Self::Eight(head, tail)),
            _ => None,
        };
        loaded.unwrap_or(Self::Long)
    }

    /// Stores the loaded ends into `target` (as long as the source); false for `Long`.
    #[inline]
    fn store(self, target: &mut [u8]) -> bool {
        fn pair<const N: usize>(target: &mut [u8], head: [u8; N], tail: [u8; N]) {
            if let Some(out) = target.first_chunk_mut::<N>() {
                *out = head;
            }
            if let Some(out) = target.last_chunk_mut::<N>() {
                *out = tail;
            }
        }
        match self {
            Self::Empty => {}
            Self::One(byte) => {
                if let Some(out) = target.first_mut() {
                    *out = byte;
                }
            }
            Self::Two(head, tail) => pair(target, head, tail),
            Self::Four(head, tail) => pair(target, head, tail),
            Self::Eight(head, tail) => pair(target, head, tail),
            Self::Long => return false,
        }
        true
    }
}

/// Copies `source` into `target` (of the same length), as `copy_from_slice` does.
#[inline]
pub(crate) fn copy(target: &mut [u8], source: &[u8]) {
    if !Ends::load(source).store(target) {
        target.copy_from_slice(source);
    }
}

/// Copies `source` into `target` (of the same length) as [`copy`] does, and pieces of 17 to
/// 64 bytes (a signed body's keys with their quotes, a hex signature) as two possibly
/// overlapping 16- or 32-byte chunks, with no call to `memcpy` either.
#[inline]
pub(crate) fn copy_up_to_64(target: &mut [u8], source: &[u8]) {
    fn ends<const K: usize>(target: &mut [u8], source: &[u8]) -> bool {
        let (Some(head), Some(tail)) = (source.first_chunk::<K>(), source.last_chunk::<K>()) else {
            return false;
        };
        let (head, tail) = (*head, *tail);
        if let Some(out) = target.first_chunk_mut::<K>() {
            *out = head;
        }
        if let Some(out) = target.last_chunk_mut::<K>() {
            *out = tail;
        }
        true
    }
    let copied = match source.len() {
        0..=16 => Ends::load(source).store(target),
        17..=32 => ends::<16>(target, source),
        33..=64 => ends::<32>(target, source),
        _ => false,
    };
    if !copied {
        target.copy_from_slice(source);
    }
}

/// Sets every byte of `target` to `byte`, as `fill` does: the blanks a form's escapes free
/// are a few bytes each (two per escape).
#[inline]
pub(crate) fn fill(target: &mut [u8], byte: u8) {
    let ends = match target.len() {
        0 => Ends::Empty,
        1 => Ends::One(byte),
        2..=3 => Ends::Two([byte; 2], [byte; 2]),
        4..=7 => Ends::Four([byte; 4], [byte; 4]),
        8..=16 => Ends::Eight([byte; 8], [byte; 8]),
        _ => Ends::Long,
    };
    if !ends.store(target) {
        target.fill(byte);
    }
}

/// Moves the `len` bytes at `from` of `text` to `to`, as `copy_within` does (the ranges may
/// overlap). Does nothing for ranges outside `text`.
#[inline]
pub(crate) fn move_within(text: &mut [u8], from: usize, to: usize, len: usize) {
    let Some(source) = text.get(from..from + len) else { return };
    let ends = Ends::load(source);
    let Some(target) = text.get_mut(to..to + len) else { return };
    if !ends.store(target) {
        text.copy_within(from..from + len, to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_match_copy_from_slice_for_every_length() {
        let source: Vec<u8> = (1..=100).collect();
        type Copy = fn(&mut [u8], &[u8]);
        let copies: [(&str, Copy); 2] = [("copy", copy), ("copy_up_to_64", copy_up_to_64)];
        for (name, copy) in copies {
            for len in 0..=100 {
                let mut target = vec![0_u8; len];
                copy(&mut target, &source[..len]);
                assert_eq!(target, source[..len], "{name}, length {len}");
            }
        }
    }

    #[test]
    fn fills_set_every_byte_and_no_other_for_every_short_length() {
        for len in 0..=40 {
            let mut text = vec![0_u8; len + 2];
            if let Some(inner) = text.get_mut(1..=len) {
                fill(inner, b' ');
            }
            let expected: Vec<u8> =
                (0..len + 2).map(|at| if at == 0 || at == len + 1 { 0 } else { b' ' }).collect();
            assert_eq!(text, expected, "length {len}");
        }
    }

    #[test]
    fn moves_match_copy_within_for_every_short_length_and_gap() {
        let source: Vec<u8> = (0..64).collect();
        for len in 0..=40 {
            for gap in 1..=6 {
                let mut down = source.clone();
                move_within(&mut down, gap, 0, len);
                let mut expected = source.clone();
                expected.copy_within(gap..gap + len, 0);
                assert_eq!(down, expected, "down: length {len}, gap {gap}");
                let mut up = source.clone();
                move_within(&mut up, 0, gap, len);
                let mut expected = source.clone();
                expected.copy_within(0..len, gap);
                assert_eq!(up, expected, "up: length {len}, gap {gap}");
            }
        }
    }
}
