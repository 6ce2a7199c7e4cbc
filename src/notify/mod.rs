//! The notification platform every workflow uses (I385 §11, §41): one call inside the
//! event's own write transaction puts a notice into each recipient's in-app inbox and, when
//! the recipient has an e-mail address and mail is configured, into the outbox — so a notice
//! exists exactly when its event committed. The outbox is delivered over SMTP by a worker
//! with retries and backoff (dead letters for the administrator after the last attempt);
//! live pages hear about new notices and changed objects over Server-Sent Events.
//!
//! Texts are Fluent messages rendered in each recipient's language when enqueued, with a
//! link back to the portal.

pub mod mail;
pub mod sse;
pub mod store;

use redb::WriteTransaction;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::i18n::I18n;

/// What happened, for whom, with what words. `key` names two Fluent messages:
/// `notice-<key>-subject` and `notice-<key>-body`, both given `args`.
#[derive(Debug, Clone)]
pub struct Notice {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// Portal path the notice leads to, e.g. `/drafts/12`.
    pub link: String,
    /// The object that changed, for live pages (`draft:12`).
    pub topic: String,
}

/// Who receives a notice: the account, its language and e-mail address.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: u64,
    pub lang: String,
    pub email: String,
}

/// One inbox item as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InboxItem {
    pub id: u64,
    pub user_id: u64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub topic: String,
    pub created: String,
    pub read: bool,
}

fn render(i18n: &I18n, lang: &str, notice: &Notice) -> (String, String) {
    let args: Vec<(&str, &str)> = notice.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let subject = i18n.text_with(lang, &format!("notice-{}-subject", notice.key), &args);
    let body = i18n.text_with(lang, &format!("notice-{}-body", notice.key), &args);
    (subject, body)
}

/// What must happen after the transaction commits (live updates, waking the mailer).
#[derive(Debug, Default)]
pub struct AfterCommit {
    pub users: Vec<(u64, String)>,
    pub mail: bool,
}

/// Writes the notice into each recipient's inbox and the outbox, inside `txn`.
pub fn enqueue_in(
    txn: &WriteTransaction,
    i18n: &I18n,
    mail: &crate::config::MailConfig,
    public_url: &str,
    recipients: &[Recipient],
    notice: &Notice,
) -> Result<AfterCommit> {
    let now = crate::clock::utc_string(crate::clock::now());
    let mut after = AfterCommit::default();
    let mut seen = std::collections::HashSet::new();
    for r in recipients {
        if !seen.insert(r.user_id) {
            continue;
        }
        let (subject, body) = render(i18n, &r.lang, notice);
        let item = InboxItem {
            id: crate::db::next_id(txn, "inbox")?,
            user_id: r.user_id,
            kind: notice.key.to_owned(),
            subject: subject.clone(),
            body: body.clone(),
            link: notice.link.clone(),
            topic: notice.topic.clone(),
            created: now.clone(),
            read: false,
        };
        store::put_inbox(txn, &item)?;
        after.users.push((r.user_id, notice.topic.clone()));
        if mail.enabled && !r.email.is_empty() {
            let link = format!("{}{}", public_url.trim_end_matches('/'), notice.link);
            let text = format!("{body}\n\n{link}\n\n-- \n{}\n", i18n.text(&r.lang, "mail-footer"));
            store::put_outbox(
                txn,
                &store::OutboxMessage {
                    id: crate::db::next_id(txn, "outbox")?,
                    to: r.email.clone(),
                    user_id: r.user_id,
                    subject,
                    text,
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

/// Publishes live events and wakes the mailer once the event's transaction committed.
pub fn after_commit(app: &crate::app::App, after: AfterCommit) {
    let txn = app.db.read();
    for (user, topic) in after.users {
        let unread = txn.as_ref().ok().and_then(|t| store::unread(t, user).ok());
        app.notifier.publish(user, sse::LiveEvent { kind: "inbox", topic: topic.clone(), unread });
        if !topic.is_empty() {
            app.notifier.publish(user, sse::LiveEvent { kind: "change", topic, unread: None });
        }
    }
    if after.mail {
        app.notifier.wake_mailer();
    }
}

/// The signed-in person's inbox: unread count and newest items.
pub fn inbox(
    app: &crate::app::App,
    actor: &crate::actor::Actor,
    limit: usize,
) -> Result<(u64, Vec<InboxItem>)> {
    let user = actor.user_id().ok_or_else(crate::error::Error::forbidden)?;
    actor.origin.set_operation("inbox.read");
    let txn = app.db.read()?;
    Ok((store::unread(&txn, user)?, store::inbox(&txn, user, limit)?))
}

/// Unread count for the navigation (no log operation of its own).
pub fn unread_count(app: &crate::app::App, user: u64) -> u64 {
    app.db.read().ok().and_then(|t| store::unread(&t, user).ok()).unwrap_or(0)
}

/// Marks one of one's own items read; returns it (for following its link).
pub fn mark_read(app: &crate::app::App, actor: &crate::actor::Actor, id: u64) -> Result<InboxItem> {
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
    let unread = unread_count(app, user);
    app.notifier.publish(
        user,
        sse::LiveEvent { kind: "inbox", topic: String::new(), unread: Some(unread) },
    );
    Ok(item)
}

/// Mail waiting or dead, for the administrator (I385 §11 delivery problems).
pub fn outbox_view(
    app: &crate::app::App,
    actor: &crate::actor::Actor,
) -> Result<Vec<store::OutboxMessage>> {
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
    Ok(all)
}
