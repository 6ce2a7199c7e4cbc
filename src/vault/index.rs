//! What the vault keeps in memory: where each document's sealed key is in `vault.sealed`
//! (12 bytes a document), and the keys opened most recently. The keys themselves stay sealed
//! on disk until a document is read: holding every key open cost ~86 MB at a million
//! documents, for as long as the server ran (issue 18, memory bounded).

use std::collections::HashMap;

use super::DataKey;

/// Document ids in ascending order, each with the slot of its record in the file.
#[derive(Default)]
pub(super) struct Slots {
    ids: Vec<u64>,
    slots: Vec<u32>,
}

impl Slots {
    pub(super) fn with_capacity(n: usize) -> Slots {
        Slots { ids: Vec::with_capacity(n), slots: Vec::with_capacity(n) }
    }

    /// Sets the record of `id`. Ids come in ascending order (a new document's id is the
    /// highest), so this is a push but for a replaced key (the same id again) or a
    /// rearranged file.
    pub(super) fn set(&mut self, id: u64, slot: u32) {
        if self.ids.last().is_none_or(|last| *last < id) {
            self.ids.push(id);
            self.slots.push(slot);
            return;
        }
        match self.ids.binary_search(&id) {
            Ok(at) => self.slots[at] = slot,
            Err(at) => {
                self.ids.insert(at, id);
                self.slots.insert(at, slot);
            }
        }
    }

    pub(super) fn get(&self, id: u64) -> Option<u32> {
        self.ids.binary_search(&id).ok().map(|at| self.slots[at])
    }

    pub(super) fn remove(&mut self, id: u64) {
        if let Ok(at) = self.ids.binary_search(&id) {
            self.ids.remove(at);
            self.slots.remove(at);
        }
    }

    pub(super) fn ids(&self) -> &[u64] {
        &self.ids
    }

    /// `(id, slot)` in ascending order of id.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.ids.iter().copied().zip(self.slots.iter().copied())
    }

    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(super) fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.slots.shrink_to_fit();
    }

    /// Bytes held (for the benchmark and the memory test).
    pub(super) fn heap_bytes(&self) -> usize {
        self.ids.capacity() * 8 + self.slots.capacity() * 4
    }
}

/// The keys opened most recently, in two generations of at most `limit` each: a key read
/// again is found here without touching the file; when the newer generation is full it
/// becomes the older one and the older is dropped (its keys zeroized). A key read in both
/// windows stays. Bounded memory without a list to keep in order.
pub(super) struct Recent {
    newer: HashMap<u64, DataKey>,
    older: HashMap<u64, DataKey>,
    limit: usize,
}

impl Recent {
    pub(super) fn new(limit: usize) -> Recent {
        Recent { newer: HashMap::new(), older: HashMap::new(), limit: limit.max(1) }
    }

    pub(super) fn get(&mut self, id: u64) -> Option<DataKey> {
        if let Some(key) = self.newer.get(&id) {
            return Some(key.clone());
        }
        let key = self.older.remove(&id)?;
        self.put(id, key.clone());
        Some(key)
    }

    pub(super) fn put(&mut self, id: u64, key: DataKey) {
        if self.newer.len() >= self.limit && !self.newer.contains_key(&id) {
            self.older = std::mem::take(&mut self.newer);
        }
        self.newer.insert(id, key);
    }

    pub(super) fn remove(&mut self, id: u64) {
        self.newer.remove(&id);
        self.older.remove(&id);
    }

    pub(super) fn len(&self) -> usize {
        self.newer.len() + self.older.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_stay_sorted_whatever_order_ids_come_in() {
        let mut s = Slots::default();
        for (slot, id) in [5u64, 9, 2, 9, 7, 1].into_iter().enumerate() {
            s.set(id, slot as u32);
        }
        assert_eq!(s.ids(), &[1, 2, 5, 7, 9]);
        assert_eq!(s.get(9), Some(3), "the later record of an id wins");
        assert_eq!(s.get(2), Some(2));
        assert_eq!(s.get(3), None);
        s.remove(5);
        assert_eq!(s.ids(), &[1, 2, 7, 9]);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![(1, 5), (2, 2), (7, 4), (9, 3)]);
    }

    #[test]
    fn recent_keys_stay_within_two_generations() {
        let key = |b: u8| DataKey::new([b; 32]);
        let mut r = Recent::new(3);
        for id in 0..10u64 {
            r.put(id, key(id as u8));
            assert!(r.len() <= 6, "{} keys held", r.len());
        }
        assert!(r.get(0).is_none(), "the oldest were dropped");
        assert_eq!(*r.get(9).unwrap(), [9; 32]);
        // A key of the older generation read again moves to the newer one and survives
        // the next turn.
        let older = (0..10u64).find(|id| r.older.contains_key(id)).unwrap();
        assert!(r.get(older).is_some());
        for id in 100..103u64 {
            r.put(id, key(1));
        }
        assert!(r.get(older).is_some(), "a key read again survives one more turn");
        r.remove(older);
        assert!(r.get(older).is_none());
    }
}
