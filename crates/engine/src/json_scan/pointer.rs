//! The pointers of a Plan as a tree of keys, and what the scanner finds for each.

use std::ops::Range;

/// The value found for one pointer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Found {
    /// The pointer matched nothing in this row.
    #[default]
    Missing,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number: its text in the row.
    Number(Range<usize>),
    /// A string without escapes: its content in the row.
    Str(Range<usize>),
    /// A string with escapes: its decoded content in the scratch buffer.
    Decoded(Range<usize>),
    /// An object or array where a scalar is expected.
    Composite(&'static str),
}

/// A value found for a pointer, with its byte offset in the row.
#[derive(Debug, Clone, Default)]
pub struct Slot {
    /// The value.
    pub found: Found,
    /// Byte offset of the value in the row.
    pub offset: usize,
}

/// The pointers of a Plan as a tree of keys.
#[derive(Debug, Clone, Default)]
pub struct PointerTree {
    pub(super) nodes: Vec<Node>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Node {
    pub(super) children: Vec<(Vec<u8>, usize)>,
    pub(super) slot: Option<usize>,
}

impl PointerTree {
    /// Builds the tree; pointer `i` fills slot `i`.
    pub fn new(pointers: &[Vec<String>]) -> PointerTree {
        PointerTree::with_slots(pointers.iter().enumerate().map(|(i, p)| (p.as_slice(), i)))
    }

    /// Builds the tree from pointers and the slot each one fills.
    pub fn with_slots<'a>(
        pointers: impl IntoIterator<Item = (&'a [String], usize)>,
    ) -> PointerTree {
        let mut t = PointerTree {
            nodes: vec![Node::default()],
        };
        for (tokens, slot) in pointers {
            let mut n = 0;
            for tok in tokens {
                let key = tok.as_bytes();
                n = match t.nodes[n].children.iter().find(|(k, _)| k == key) {
                    Some(&(_, c)) => c,
                    None => {
                        t.nodes.push(Node::default());
                        let c = t.nodes.len() - 1;
                        t.nodes[n].children.push((key.to_vec(), c));
                        c
                    }
                };
            }
            t.nodes[n].slot = Some(slot);
        }
        t
    }

    pub(super) fn child(&self, n: usize, key: &[u8]) -> Option<usize> {
        self.nodes[n]
            .children
            .iter()
            .find(|(k, _)| k == key)
            .map(|&(_, c)| c)
    }
}
