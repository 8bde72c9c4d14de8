//! Paging of lists: a limit and offset to ask for, a page of rows with the total to answer.

use serde::Serialize;

/// Which rows of a list to return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
}

impl Paging {
    /// The most rows one page may hold.
    pub const MAX_LIMIT: i64 = 500;

    /// Page `number` (counted from 1) of `per_page` rows.
    pub fn page(number: i64, per_page: i64) -> Self {
        let limit = per_page.clamp(1, Self::MAX_LIMIT);
        Self {
            limit,
            offset: (number.max(1) - 1).saturating_mul(limit),
        }
    }

    /// The limit and offset made safe to bind (limit 1..=500, offset ≥ 0).
    pub(crate) fn clamped(self) -> (i64, i64) {
        (self.limit.clamp(1, Self::MAX_LIMIT), self.offset.max(0))
    }
}

impl Default for Paging {
    fn default() -> Self {
        Self::page(1, 50)
    }
}

/// One page of a list, and how many rows the whole list has.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}
