//! First come, first served among sign-ins of one username from one address waiting for
//! a check slot (contract §4: only recorded failures refuse a sign-in; checks in flight
//! wait).
//!
//! Without a line, an attempt that finds a slot free takes it even while others have
//! waited for seconds, and a waiter that wakes after its pause queues again at the back:
//! 32 clients signing in over and over as one user left a few waiting past the 15 s
//! limit (`503`) while others got through again and again. In a line, the attempt at
//! its head is the only one that asks for a slot; the rest wait their turn (tokio's
//! mutex is fair). Per instance: several instances share the slots, not the lines.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OwnedMutexGuard;

use crate::http::client_addr::limit_key;

type Line = Arc<tokio::sync::Mutex<()>>;

/// One line per key (username and address) with someone in it; a line goes away with its
/// last attempt.
#[derive(Default)]
pub struct WaitingLines {
    lines: Mutex<HashMap<String, Line>>,
}

/// An attempt's turn at the head of its line; dropping it (done, or the request gone)
/// lets the next one in.
pub struct Turn {
    // Fields drop in this order: the line is let go of before it is looked at.
    _guard: OwnedMutexGuard<()>,
    _leave: Leave,
}

/// Removes the line once nobody is in it: at the end of a turn, or when an attempt gives
/// up while waiting (declared before the wait, so dropped after it).
struct Leave {
    lines: Arc<WaitingLines>,
    key: String,
}

/// The line a sign-in waits in: one per username *and* address (IPv6 by its /64, as the
/// limits count it), so that an attempt waiting for its address's slots never holds up
/// the same username from elsewhere. Text that is no username (`""`) takes no username
/// slot, so it waits in no line.
pub fn line_for(username_key: &str, address: &str) -> Option<String> {
    (!username_key.is_empty()).then(|| format!("{username_key} {}", limit_key(address)))
}

impl WaitingLines {
    /// Joins `key`'s line and waits until this attempt is at its head.
    pub async fn wait_for_turn(self: &Arc<Self>, key: &str) -> Turn {
        let line = {
            let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(lines.entry(key.to_string()).or_default())
        };
        let leave = Leave {
            lines: Arc::clone(self),
            key: key.to_string(),
        };
        let guard = line.lock_owned().await;
        Turn {
            _guard: guard,
            _leave: leave,
        }
    }

    /// How many usernames have a line now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Leave {
    fn drop(&mut self) {
        let mut lines = self
            .lines
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the map's own handle is left: nobody holds the line or waits in it (each
        // waiting attempt holds a handle too).
        if lines
            .get(&self.key)
            .is_some_and(|line| Arc::strong_count(line) == 1)
        {
            lines.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn attempts_take_turns_in_the_order_they_came_and_lines_go_away() {
        let lines = Arc::new(WaitingLines::default());
        let first = lines.wait_for_turn("alice").await;
        // Another username has its own line.
        let other = lines.wait_for_turn("bob").await;
        assert_eq!(lines.len(), 2);
        drop(other);
        assert_eq!(lines.len(), 1);

        let order = Arc::new(Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for n in 0..5 {
            let (lines, order) = (Arc::clone(&lines), Arc::clone(&order));
            waiting.push(actix_web::rt::spawn(async move {
                let _turn = lines.wait_for_turn("alice").await;
                order.lock().unwrap().push(n);
            }));
            // Let this attempt join the line before the next one comes.
            for _ in 0..10 {
                actix_web::rt::task::yield_now().await;
            }
        }
        drop(first);
        for task in waiting {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
        assert!(lines.is_empty());
    }

    #[test]
    fn a_username_has_a_line_per_address_and_no_username_has_none() {
        let here = line_for("alice", "198.51.100.7");
        assert_eq!(here, line_for("alice", "198.51.100.7"));
        assert_ne!(here, line_for("alice", "198.51.100.8"));
        assert_ne!(here, line_for("bob", "198.51.100.7"));
        assert_eq!(
            line_for("alice", "2001:db8:1:2::1"),
            line_for("alice", "2001:db8:1:2:ffff::9"),
        );
        assert_eq!(line_for("", "198.51.100.7"), None);
    }

    #[actix_web::test]
    async fn an_attempt_that_gives_up_while_waiting_leaves_no_line_behind() {
        let lines = Arc::new(WaitingLines::default());
        let first = lines.wait_for_turn("alice").await;
        let gave_up = actix_web::rt::time::timeout(
            std::time::Duration::from_millis(1),
            lines.wait_for_turn("alice"),
        )
        .await;
        assert!(gave_up.is_err());
        drop(first);
        assert!(lines.is_empty());
    }
}
