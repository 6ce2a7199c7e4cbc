//! Live updates: one broadcast channel per signed-in person with an open page; events say
//! "your inbox has N unread" or "object X changed" — never content, which the page then
//! fetches through the normal, access-checked routes.

use std::collections::HashMap;
use std::time::Duration;

use parking_lot::RwLock;
use serde::Serialize;
use tokio::sync::{Notify, broadcast};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LiveEvent {
    /// `inbox` or `change`.
    pub kind: &'static str,
    pub topic: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread: Option<u64>,
    /// The new inbox item, whose subject the stream adds in its reader's language.
    #[serde(skip)]
    pub item: Option<u64>,
}

#[derive(Default)]
pub struct Notifier {
    channels: RwLock<HashMap<u64, broadcast::Sender<LiveEvent>>>,
    mail: Notify,
}

impl Notifier {
    pub fn subscribe(&self, user: u64) -> broadcast::Receiver<LiveEvent> {
        if let Some(tx) = self.channels.read().get(&user) {
            return tx.subscribe();
        }
        self.channels.write().entry(user).or_insert_with(|| broadcast::channel(64).0).subscribe()
    }

    pub fn publish(&self, user: u64, event: LiveEvent) {
        let gone = match self.channels.read().get(&user) {
            Some(tx) => tx.send(event).is_err(),
            None => false,
        };
        if gone {
            // Nobody listens any more: drop the channel.
            self.channels.write().retain(|_, tx| tx.receiver_count() > 0);
        }
    }

    pub fn wake_mailer(&self) {
        self.mail.notify_one();
    }

    /// Waits until mail was enqueued or `max` passed.
    pub async fn wait_for_mail(&self, max: Duration) {
        let _ = tokio::time::timeout(max, self.mail.notified()).await;
    }

    pub fn listeners(&self) -> usize {
        self.channels.read().values().map(|tx| tx.receiver_count()).sum()
    }
}
