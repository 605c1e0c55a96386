//! The link's STAN table: which STANs are in use and who waits for each answer.
//!
//! A STAN is reserved when a request is prepared (so the gateway can record it before sending),
//! armed with a waiter when the request is sent, and released when the request's lease is
//! dropped. Responses are matched by STAN only; a response for a STAN nobody waits for (a late
//! answer after a timeout) is handed back to the caller to log.

use std::collections::HashMap;

use paygate_iso8583::Message;
use tokio::sync::oneshot;

/// Largest STAN (DE 11 is n6); STANs run 1..=MAX_STAN and wrap.
pub const MAX_STAN: u32 = 999_999;

/// What a waiter receives: the matched response, or `None`-equivalent by the sender being
/// dropped when the connection is lost.
pub(crate) type Waiter = oneshot::Sender<Message>;

#[derive(Debug)]
struct Slot {
    /// Distinguishes successive uses of the same STAN, so a stale lease never frees a new one.
    id: u64,
    waiter: Option<Waiter>,
}

/// STANs in use on one link.
#[derive(Debug)]
pub(crate) struct Pending {
    slots: HashMap<u32, Slot>,
    next_stan: u32,
    next_id: u64,
}

impl Pending {
    /// An empty table whose first STAN is `first_stan` (clamped into 1..=MAX_STAN). Starting at a
    /// random point makes a restarted process unlikely to reuse recent (STAN, DE 7) pairs.
    pub(crate) fn new(first_stan: u32) -> Self {
        Pending {
            slots: HashMap::new(),
            next_stan: first_stan % MAX_STAN + 1,
            next_id: 0,
        }
    }

    /// Reserves the next free STAN; `None` only if all MAX_STAN are in use.
    pub(crate) fn reserve(&mut self) -> Option<(u32, u64)> {
        for _ in 0..MAX_STAN {
            let stan = self.next_stan;
            self.next_stan = if stan >= MAX_STAN { 1 } else { stan + 1 };
            if !self.slots.contains_key(&stan) {
                return Some((stan, self.insert(stan)));
            }
        }
        None
    }

    /// Reserves a STAN chosen by the caller; `None` if it is in use or out of range.
    pub(crate) fn reserve_exact(&mut self, stan: u32) -> Option<u64> {
        if !(1..=MAX_STAN).contains(&stan) || self.slots.contains_key(&stan) {
            return None;
        }
        Some(self.insert(stan))
    }

    fn insert(&mut self, stan: u32) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.slots.insert(stan, Slot { id, waiter: None });
        id
    }

    /// Attaches the waiter of a reserved STAN; false if the reservation is gone.
    pub(crate) fn arm(&mut self, stan: u32, id: u64, waiter: Waiter) -> bool {
        match self.slots.get_mut(&stan) {
            Some(slot) if slot.id == id => {
                slot.waiter = Some(waiter);
                true
            }
            _ => false,
        }
    }

    /// Whether the request `(stan, id)` still waits for an answer (else it must not be sent).
    pub(crate) fn is_waiting(&self, stan: u32, id: u64) -> bool {
        self.slots
            .get(&stan)
            .is_some_and(|s| s.id == id && s.waiter.is_some())
    }

    /// Hands `msg` to whoever waits on `stan`; gives it back if nobody does.
    pub(crate) fn complete(&mut self, stan: u32, msg: Message) -> Result<(), Message> {
        match self.slots.get_mut(&stan).and_then(|s| s.waiter.take()) {
            Some(waiter) => waiter.send(msg),
            None => Err(msg),
        }
    }

    /// Frees `(stan, id)` if it is still that reservation.
    pub(crate) fn release(&mut self, stan: u32, id: u64) {
        if self.slots.get(&stan).is_some_and(|s| s.id == id) {
            self.slots.remove(&stan);
        }
    }

    /// Drops every waiter (their receivers see the connection as lost); reservations stay with
    /// their leases.
    pub(crate) fn fail_all(&mut self) -> usize {
        self.slots
            .values_mut()
            .filter_map(|s| s.waiter.take())
            .count()
    }

    /// Number of STANs reserved.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stans_wrap_after_999999_and_skip_those_in_use() {
        let mut p = Pending::new(MAX_STAN - 1);
        let (a, _) = p.reserve().unwrap();
        let (b, _) = p.reserve().unwrap();
        assert_eq!((a, b), (MAX_STAN, 1));
        p.reserve_exact(3).unwrap();
        let (c, _) = p.reserve().unwrap();
        assert_eq!(c, 2);
        let (d, _) = p.reserve().unwrap();
        assert_eq!(d, 4, "3 is in use");
        assert!(p.reserve_exact(3).is_none());
        assert!(p.reserve_exact(0).is_none());
        assert!(p.reserve_exact(MAX_STAN + 1).is_none());
    }

    #[test]
    fn a_response_reaches_only_the_armed_waiter() {
        let mut p = Pending::new(0);
        let (stan, id) = p.reserve().unwrap();
        let msg = Message::new("0110").unwrap();
        assert!(
            p.complete(stan, msg.clone()).is_err(),
            "reserved but not armed"
        );
        let (tx, mut rx) = oneshot::channel();
        assert!(p.arm(stan, id, tx));
        assert!(p.is_waiting(stan, id));
        assert!(p.complete(stan, msg.clone()).is_ok());
        assert_eq!(rx.try_recv().unwrap().mti(), "0110");
        assert!(p.complete(stan, msg).is_err(), "a second answer is late");
    }

    #[test]
    fn a_stale_lease_does_not_free_a_newer_reservation() {
        let mut p = Pending::new(0);
        let (stan, old) = p.reserve().unwrap();
        p.release(stan, old);
        let new = p.reserve_exact(stan).unwrap();
        p.release(stan, old);
        assert_eq!(p.len(), 1);
        p.release(stan, new);
        assert_eq!(p.len(), 0);
    }

    #[test]
    fn fail_all_drops_waiters_but_keeps_reservations() {
        let mut p = Pending::new(0);
        let (stan, id) = p.reserve().unwrap();
        let (tx, mut rx) = oneshot::channel();
        p.arm(stan, id, tx);
        assert_eq!(p.fail_all(), 1);
        assert!(rx.try_recv().is_err());
        assert!(!p.is_waiting(stan, id));
        assert_eq!(p.len(), 1);
    }
}
