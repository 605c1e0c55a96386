//! A bounds-checked cursor over the input: every read either returns the requested bytes or an
//! [`DecodeError::Incomplete`] naming the field, so the decoder never indexes past the end.

use crate::error::{DecodeError, FieldId};

pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// Takes the next `needed` bytes, or reports how many were missing for `field`.
    pub(crate) fn take(&mut self, needed: usize, field: FieldId) -> Result<&'a [u8], DecodeError> {
        match self.rest.split_at_checked(needed) {
            Some((taken, rest)) => {
                self.rest = rest;
                Ok(taken)
            }
            None => Err(DecodeError::Incomplete {
                field,
                needed,
                available: self.rest.len(),
            }),
        }
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }
}
