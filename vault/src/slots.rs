//! A counting semaphore for blocking code: the PostgreSQL refresh locks each hold a pooled
//! connection for a network round trip, so only some of the pool may be held that way, or a burst
//! of refreshes would leave nothing for the statements every other operation needs.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// At most a fixed number of [`Slot`]s out at once.
#[derive(Debug)]
pub(crate) struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

/// One slot, given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    slots: Arc<Slots>,
}

impl Slots {
    /// `n` slots (at least one).
    pub(crate) fn new(n: usize) -> Arc<Self> {
        Arc::new(Self {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        })
    }

    /// A slot if one is free now.
    pub(crate) fn try_take(self: &Arc<Self>) -> Option<Slot> {
        self.take_within(Duration::ZERO)
    }

    /// A slot, waiting up to `patience` for one; `None` when none came free in time.
    pub(crate) fn take_within(self: &Arc<Self>, patience: Duration) -> Option<Slot> {
        let deadline = Instant::now() + patience;
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            free = self
                .freed
                .wait_timeout(free, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *free -= 1;
        Some(Slot {
            slots: Arc::clone(self),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut free = self
            .slots
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *free += 1;
        self.slots.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_run_out_and_come_back() {
        let slots = Slots::new(2);
        let a = slots.try_take().unwrap();
        let _b = slots.try_take().unwrap();
        assert!(slots.try_take().is_none());
        assert!(slots.take_within(Duration::from_millis(20)).is_none());
        let waiter = {
            let slots = Arc::clone(&slots);
            std::thread::spawn(move || slots.take_within(Duration::from_secs(10)).is_some())
        };
        std::thread::sleep(Duration::from_millis(20));
        drop(a);
        assert!(waiter.join().unwrap(), "a dropped slot wakes a waiter");
    }
}
