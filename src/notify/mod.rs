//! The notification platform every workflow uses (I385 §11, §41): one call inside the
//! event's own write transaction puts a notice into each recipient's in-app inbox and, when
//! the recipient has an e-mail address and mail is configured, into the outbox — so a notice
//! exists exactly when its event committed. The outbox is delivered over SMTP by a worker
//! with retries and backoff (dead letters for the administrator after the last attempt);
//! live pages hear about new notices and changed objects over Server-Sent Events.
//!
//! A notice is stored as a message key with arguments and rendered in the reader's
//! language when shown, and in the recipient's language when mailed (see [`message`]).

pub mod mail;
pub mod message;
pub mod sse;
pub mod store;

use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::error::Result;
use crate::i18n::I18n;
pub use message::{Arg, Names};

/// What happened, for whom to read, as words: `key` names two Fluent messages,
/// `notice-<key>-subject` and `notice-<key>-body`, both given `args`. Nothing is translated
/// when the notice is enqueued; see [`message`].
///
/// ```no_run
/// # use ipgo::notify::{self, Names, Notice, Recipient};
/// # fn example(
/// #     app: &ipgo::app::App,
/// #     txn: &redb::WriteTransaction,
/// #     recipients: &[Recipient],
/// #     (id, number, title_names, agency_names): (u64, String, Names, Names),
/// # ) -> ipgo::error::Result<()> {
/// let notice = Notice::new("draft-approved", format!("/drafts/{id}"), format!("draft:{id}"))
///     .arg("title", title_names)           // Names: shown in the reader's language
///     .arg("agency", agency_names)         // Names
///     .arg("number", number.clone());      // Text: shown as is
/// let after = notify::enqueue_in(app, txn, recipients, &notice)?;
/// // ... after the transaction committed:
/// notify::after_commit(app, after);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Notice {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
    /// Portal path the notice leads to, e.g. `/drafts/12`.
    pub link: String,
    /// The object that changed, for live pages (`draft:12`); the same topic marks the
    /// notice read when its reader acts on the object ([`mark_topic_read_in`]).
    pub topic: String,
}

impl Notice {
    pub fn new(key: &'static str, link: impl Into<String>, topic: impl Into<String>) -> Notice {
        Notice { key, args: Vec::new(), link: link.into(), topic: topic.into() }
    }

    /// Adds an argument: a `String`/`&str`/number is shown as is, [`Names`] in the reader's
    /// language, [`Arg::Message`] translated, [`Arg::Time`] in Astana time.
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Notice {
        self.args.push((name, value.into()));
        self
    }
}

/// Who receives a notice: the account, its language (used for mail only if the account
/// is gone by the time the mail is sent) and e-mail address.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: u64,
    pub lang: String,
    pub email: String,
}

/// One inbox item as stored: the notice's words, not its text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InboxItem {
    pub id: u64,
    pub user_id: u64,
    /// The notice's message key.
    pub kind: String,
    #[serde(default)]
    pub args: Vec<(String, Arg)>,
    /// Text of items stored before notices were kept as words; shown as it is.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    pub link: String,
    pub topic: String,
    pub created: String,
    pub read: bool,
}

/// An inbox item as one reader sees it, in their language.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ShownItem {
    pub id: u64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub topic: String,
    /// UTC, stored form.
    pub created: String,
    pub read: bool,
}

impl InboxItem {
    /// The item in `lang`.
    pub fn shown(&self, i18n: &I18n, lang: &str) -> ShownItem {
        let (subject, body) = if self.subject.is_empty() {
            message::render(i18n, lang, &self.kind, &self.args)
        } else {
            (self.subject.clone(), self.body.clone())
        };
        ShownItem {
            id: self.id,
            kind: self.kind.clone(),
            subject,
            body,
            link: self.link.clone(),
            topic: self.topic.clone(),
            created: self.created.clone(),
            read: self.read,
        }
    }
}

/// What must happen after the transaction commits (live updates, waking the mailer).
#[derive(Debug, Default)]
pub struct AfterCommit {
    /// (user, topic, new inbox item).
    pub users: Vec<(u64, String, Option<u64>)>,
    pub mail: bool,
}

impl AfterCommit {
    /// Both parts' work, for a transaction that enqueued several notices.
    pub fn merge(mut self, other: AfterCommit) -> AfterCommit {
        self.users.extend(other.users);
        self.mail |= other.mail;
        self
    }
}

/// Writes the notice into each recipient's inbox and the outbox, inside `txn`, as words
/// (see [`message`]); it is translated when shown or sent.
pub fn enqueue_in(
    app: &App,
    txn: &WriteTransaction,
    recipients: &[Recipient],
    notice: &Notice,
) -> Result<AfterCommit> {
    let now = crate::clock::utc_string(crate::clock::now());
    let args: Vec<(String, Arg)> =
        notice.args.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    let mut after = AfterCommit::default();
    let mut seen = std::collections::HashSet::new();
    for r in recipients {
        if !seen.insert(r.user_id) {
            continue;
        }
        let item = InboxItem {
            id: crate::db::next_id(txn, "inbox")?,
            user_id: r.user_id,
            kind: notice.key.to_owned(),
            args: args.clone(),
            subject: String::new(),
            body: String::new(),
            link: notice.link.clone(),
            topic: notice.topic.clone(),
            created: now.clone(),
            read: false,
        };
        store::put_inbox(txn, &item)?;
        after.users.push((r.user_id, notice.topic.clone(), Some(item.id)));
        if app.config.mail.enabled && !r.email.is_empty() {
            store::put_outbox(
                txn,
                &store::OutboxMessage {
                    id: crate::db::next_id(txn, "outbox")?,
                    to: r.email.clone(),
                    user_id: r.user_id,
                    key: notice.key.to_owned(),
                    args: args.clone(),
                    link: notice.link.clone(),
                    lang: r.lang.clone(),
                    subject: String::new(),
                    text: String::new(),
                    created: now.clone(),
                    attempts: 0,
                    next_attempt: now.clone(),
                    status: store::MailStatus::Pending,
                    last_error: String::new(),
                },
            )?;
            after.mail = true;
        }
    }
    Ok(after)
}

/// Marks read, inside `txn`, the person's unread notices about `topic` (e.g. `draft:12`):
/// acting on the object answers them. Returns the users whose count changed, for
/// [`after_commit`].
pub fn mark_topic_read_in(txn: &WriteTransaction, user: u64, topic: &str) -> Result<AfterCommit> {
    let changed = store::mark_read_where(txn, user, |item| item.topic == topic)?;
    let mut after = AfterCommit::default();
    if changed > 0 {
        after.users.push((user, String::new(), None));
    }
    Ok(after)
}

/// Publishes live events and wakes the mailer once the event's transaction committed.
pub fn after_commit(app: &App, after: AfterCommit) {
    let txn = app.db.read();
    for (user, topic, item) in after.users {
        let unread = txn.as_ref().ok().and_then(|t| store::unread(t, user).ok());
        app.notifier
            .publish(user, sse::LiveEvent { kind: "inbox", topic: topic.clone(), unread, item });
        if !topic.is_empty() {
            app.notifier
                .publish(user, sse::LiveEvent { kind: "change", topic, unread: None, item: None });
        }
    }
    if after.mail {
        app.notifier.wake_mailer();
    }
}

/// The signed-in person's inbox in `lang`: unread count and newest items.
pub fn inbox(
    app: &App,
    actor: &crate::actor::Actor,
    lang: &str,
    before: Option<u64>,
    limit: usize,
) -> Result<(u64, Vec<ShownItem>)> {
    let user = actor.user_id().ok_or_else(crate::error::Error::forbidden)?;
    actor.origin.set_operation("inbox.read");
    let txn = app.db.read()?;
    let items = store::inbox(&txn, user, before, limit)?;
    Ok((store::unread(&txn, user)?, items.iter().map(|i| i.shown(&app.i18n, lang)).collect()))
}

/// The subject of one of a person's own items in `lang` (for the live stream).
pub fn subject_of(app: &App, user: u64, id: u64, lang: &str) -> Option<String> {
    let txn = app.db.read().ok()?;
    let item = store::inbox_item_read(&txn, user, id).ok()??;
    Some(item.shown(&app.i18n, lang).subject)
}

/// Unread count for the navigation (no log operation of its own).
pub fn unread_count(app: &App, user: u64) -> u64 {
    app.db.read().ok().and_then(|t| store::unread(&t, user).ok()).unwrap_or(0)
}

fn publish_count(app: &App, user: u64) {
    let unread = unread_count(app, user);
    app.notifier.publish(
        user,
        sse::LiveEvent { kind: "inbox", topic: String::new(), unread: Some(unread), item: None },
    );
}

/// Marks one of one's own items read; returns it in `lang` (for following its link).
pub fn mark_read(app: &App, actor: &crate::actor::Actor, id: u64, lang: &str) -> Result<ShownItem> {
    let user = actor.user_id().ok_or_else(crate::error::Error::forbidden)?;
    actor.origin.set_operation("inbox.mark_read");
    let item = app.audit.change(actor, "inbox.mark_read", |txn| {
        let mut item =
            store::inbox_item(txn, user, id)?.ok_or_else(crate::error::Error::not_found)?;
        if !item.read {
            item.read = true;
            store::put_inbox(txn, &item)?;
        }
        Ok((item, Some(serde_json::json!({"item": id}))))
    })?;
    publish_count(app, user);
    Ok(item.shown(&app.i18n, lang))
}

/// Marks every one of one's own items read; returns how many were unread.
pub fn mark_all_read(app: &App, actor: &crate::actor::Actor) -> Result<u64> {
    let user = actor.user_id().ok_or_else(crate::error::Error::forbidden)?;
    actor.origin.set_operation("inbox.mark_all_read");
    let changed = app.audit.change(actor, "inbox.mark_all_read", |txn| {
        let changed = store::mark_read_where(txn, user, |_| true)?;
        Ok((changed, Some(serde_json::json!({"items": changed}))))
    })?;
    publish_count(app, user);
    Ok(changed)
}

/// Mail waiting or dead, for the administrator (I385 §11 delivery problems).
pub fn outbox_view(app: &App, actor: &crate::actor::Actor) -> Result<Vec<store::OutboxMessage>> {
    crate::auth::policy::require(
        actor,
        crate::auth::policy::Action::SystemMonitor,
        crate::auth::policy::Object::Appliance,
    )?;
    actor.origin.set_operation("mail.view");
    let txn = app.db.read()?;
    let mut all: Vec<store::OutboxMessage> =
        store::outbox(&txn)?.into_iter().filter(|m| m.status != store::MailStatus::Sent).collect();
    all.reverse();
    // The subject as it will be sent (in the recipient's language), for the list.
    for m in &mut all {
        if !m.key.is_empty() {
            let lang = crate::i18n::supported(&m.lang).unwrap_or("ru");
            m.subject = message::render(&app.i18n, lang, &m.key, &m.args).0;
        }
    }
    Ok(all)
}
