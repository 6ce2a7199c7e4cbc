//! Delivering the outbox over SMTP (lettre, rustls): due messages are sent one by one; a
//! failure is retried with growing delays (1 min, 5 min, 30 min, 2 h, 6 h...) and after the
//! configured number of attempts the message becomes a dead letter that the administrator
//! sees and can send again. Delivery is at least once: a crash after the relay accepted a
//! message but before it was marked sent sends it again.
//!
//! A message is written when it is sent, in the language its recipient reads at that
//! moment (the directory answers through [`LanguageOf`]).

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::store::{self, MailStatus, OutboxMessage};
use crate::app::App;
use crate::config::MailConfig;
use crate::error::{Error, Result};

const BACKOFF_SECONDS: &[i64] = &[60, 300, 1800, 7200, 21600];

fn transport(config: &MailConfig) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let tls_params = || -> anyhow::Result<TlsParameters> {
        let mut b = TlsParameters::builder(config.relay.clone());
        if !config.ca_file.is_empty() {
            let pem = std::fs::read(&config.ca_file)?;
            b = b.add_root_certificate(Certificate::from_pem(&pem)?);
        }
        Ok(b.build()?)
    };
    let tls = match config.tls.as_str() {
        "none" => Tls::None,
        "starttls" => Tls::Required(tls_params()?),
        "tls" => Tls::Wrapper(tls_params()?),
        other => anyhow::bail!("mail.tls must be none, starttls or tls, not {other:?}"),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.relay)
        .port(config.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(30)));
    if !config.username.is_empty() {
        let password =
            std::fs::read_to_string(&config.password_file).unwrap_or_default().trim().to_owned();
        builder = builder.credentials(Credentials::new(config.username.clone(), password));
    }
    Ok(builder.build())
}

/// The recipient's current language: the mailer asks the directory through this, so a
/// mail is written in the language the person reads when it is sent.
pub type LanguageOf = fn(&App, u64) -> Option<String>;

/// A message due for sending, composed in its recipient's language.
struct Due {
    m: OutboxMessage,
    subject: String,
    text: String,
}

fn message(config: &MailConfig, due: &Due) -> anyhow::Result<Message> {
    let m = &due.m;
    let from: Mailbox = config.from.parse()?;
    let to: Mailbox = m.to.parse()?;
    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(due.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .message_id(Some(format!(
            "<ipgo-{}-{}@{}>",
            m.id,
            m.created.replace([':', '.'], ""),
            config.from_domain()
        )))
        .body(due.text.clone())?)
}

/// Messages due now, each in the language its recipient reads today.
fn due(app: &App, limit: usize, language_of: LanguageOf) -> Result<Vec<Due>> {
    let now = crate::clock::utc_string(crate::clock::now());
    let txn = app.db.read()?;
    let mut out: Vec<OutboxMessage> = store::outbox(&txn)?
        .into_iter()
        .filter(|m| m.status == MailStatus::Pending && m.next_attempt <= now)
        .collect();
    out.truncate(limit);
    Ok(out
        .into_iter()
        .map(|m| {
            let lang = language_of(app, m.user_id).unwrap_or_else(|| m.lang.clone());
            let (subject, text) = m.compose(&app.i18n, &lang, &app.config.server.public_url);
            Due { m, subject, text }
        })
        .collect())
}

/// Writes the outcome of every message of a batch in one transaction: one fsync per batch
/// instead of one per message, which is what kept a backlog from draining at the relay's
/// pace. A crash between sending and this commit sends those messages again — mail is
/// delivered at least once, never lost.
fn record(app: &App, results: Vec<(u64, std::result::Result<(), String>)>) -> Result<()> {
    let max = app.config.mail.max_attempts;
    app.db.write(|txn| {
        for (id, result) in &results {
            let Some(mut m) = store::outbox_message(txn, *id)? else { continue };
            m.attempts += 1;
            match result {
                Ok(()) => {
                    m.status = MailStatus::Sent;
                    m.last_error.clear();
                }
                Err(e) => {
                    m.last_error = e.chars().take(500).collect();
                    if m.attempts >= max {
                        m.status = MailStatus::Dead;
                        tracing::error!(message = id, to = ?m.to, error = %e, "mail undeliverable after the last attempt");
                    } else {
                        let delay = BACKOFF_SECONDS
                            [(m.attempts as usize - 1).min(BACKOFF_SECONDS.len() - 1)];
                        let delay =
                            delay.min(app.config.mail.max_retry_delay_seconds as i64).max(1);
                        m.next_attempt = crate::clock::utc_string(
                            crate::clock::now() + jiff::SignedDuration::from_secs(delay),
                        );
                    }
                }
            }
            store::put_outbox(txn, &m)?;
        }
        Ok(())
    })
}

/// Removes delivered messages created more than `keep_sent_days` ago; returns how many.
/// Pending messages and dead letters are never touched.
pub fn prune_sent(app: &App) -> Result<usize> {
    let cutoff = crate::clock::utc_string(
        crate::clock::now()
            - jiff::SignedDuration::from_hours(24 * app.config.mail.keep_sent_days as i64),
    );
    let old: Vec<u64> = store::outbox(&app.db.read()?)?
        .into_iter()
        .filter(|m| m.status == MailStatus::Sent && m.created < cutoff)
        .map(|m| m.id)
        .collect();
    if !old.is_empty() {
        app.db.write(|txn| {
            let mut table = txn.open_table(store::OUTBOX)?;
            for id in &old {
                table.remove(id)?;
            }
            Ok(())
        })?;
    }
    Ok(old.len())
}

const BATCH: usize = 100;
/// Messages sent at the same time (separate pooled connections to the relay).
const CONCURRENT: usize = 8;

/// Sends what is due over the pooled connections to the relay; returns how many were tried.
pub async fn deliver_due(
    app: &Arc<App>,
    transport_cell: &std::sync::OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
    language_of: LanguageOf,
) -> Result<usize> {
    if !app.config.mail.enabled {
        return Ok(0);
    }
    let a = app.clone();
    let batch = crate::web::blocking(move || due(&a, BATCH, language_of)).await?;
    if batch.is_empty() {
        return Ok(0);
    }
    let transport = match transport_cell.get() {
        Some(t) => t,
        None => {
            let t = transport(&app.config.mail)
                .map_err(|e| Error::internal(format!("mail transport: {e}")))?;
            transport_cell.get_or_init(|| t)
        }
    };
    let tried = batch.len();
    // Several messages in flight over the pool's connections: lettre 0.11 leaves Nagle's
    // algorithm on, so every message waits ~40 ms for the relay's delayed ACK after its
    // body (lettre PR #1159, not yet released). Sending in parallel hides that wait and
    // any relay latency; `CONCURRENT` stays below the pool's ten connections.
    use futures_util::StreamExt as _;
    let results: Vec<(u64, std::result::Result<(), String>)> = futures_util::stream::iter(batch)
        .map(|d| async move {
            let result = match message(&app.config.mail, &d) {
                Ok(msg) => transport.send(msg).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(format!("cannot build the message: {e}")),
            };
            if let Err(e) = &result {
                tracing::warn!(message = d.m.id, error = %e, "mail delivery failed; will retry");
            }
            (d.m.id, result)
        })
        .buffer_unordered(CONCURRENT)
        .collect()
        .await;
    let a = app.clone();
    crate::web::blocking(move || record(&a, results)).await?;
    Ok(tried)
}

/// Puts a dead letter back into the queue (the administrator's "send again").
pub fn retry(app: &App, actor: &crate::actor::Actor, id: u64) -> Result<()> {
    crate::auth::policy::require(
        actor,
        crate::auth::policy::Action::SystemMonitor,
        crate::auth::policy::Object::Appliance,
    )?;
    actor.origin.set_operation("mail.retry");
    app.audit.change(actor, "mail.retry", |txn| {
        let mut m = store::outbox_message(txn, id)?.ok_or_else(Error::not_found)?;
        m.status = MailStatus::Pending;
        m.attempts = 0;
        m.next_attempt = crate::clock::utc_string(crate::clock::now());
        store::put_outbox(txn, &m)?;
        Ok(((), Some(serde_json::json!({"message": id}))))
    })?;
    app.notifier.wake_mailer();
    Ok(())
}

/// The worker: wakes on new mail or every few seconds; a full batch is followed at once by
/// the next, so a backlog drains at the relay's pace.
pub fn start(app: Arc<App>, language_of: LanguageOf) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let transport = std::sync::OnceLock::new();
        loop {
            let sent = match deliver_due(&app, &transport, language_of).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "mail delivery round failed");
                    0
                }
            };
            if sent < BATCH {
                app.notifier.wait_for_mail(Duration::from_secs(5)).await;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: u64, status: MailStatus, days_ago: i64) -> OutboxMessage {
        let created = crate::clock::utc_string(
            crate::clock::now() - jiff::SignedDuration::from_hours(24 * days_ago),
        );
        OutboxMessage {
            id,
            to: format!("u{id}@agency.test"),
            user_id: id,
            key: "draft-sign".into(),
            args: vec![("title".into(), super::super::Arg::from("t"))],
            link: "/drafts/1".into(),
            lang: "kk".into(),
            subject: String::new(),
            text: String::new(),
            next_attempt: created.clone(),
            created,
            attempts: 1,
            status,
            last_error: String::new(),
        }
    }

    #[test]
    fn only_delivered_mail_older_than_the_kept_days_is_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        config.mail.keep_sent_days = 30;
        let app = crate::app::App::open(config).unwrap();
        app.db
            .write(|txn| {
                store::put_outbox(txn, &message(1, MailStatus::Sent, 31))?;
                store::put_outbox(txn, &message(2, MailStatus::Sent, 29))?;
                store::put_outbox(txn, &message(3, MailStatus::Pending, 40))?;
                store::put_outbox(txn, &message(4, MailStatus::Dead, 40))?;
                Ok(())
            })
            .unwrap();
        assert_eq!(prune_sent(&app).unwrap(), 1);
        let left: Vec<u64> =
            store::outbox(&app.db.read().unwrap()).unwrap().iter().map(|m| m.id).collect();
        assert_eq!(left, vec![2, 3, 4]);
        assert_eq!(prune_sent(&app).unwrap(), 0, "nothing more to remove");
    }

    #[test]
    fn one_transaction_records_a_whole_batch_with_its_outcomes() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        config.mail.max_attempts = 2;
        let app = crate::app::App::open(config).unwrap();
        app.db
            .write(|txn| {
                for id in 1..=3 {
                    store::put_outbox(txn, &message(id, MailStatus::Pending, 0))?;
                }
                Ok(())
            })
            .unwrap();
        record(&app, vec![(1, Ok(())), (2, Err("refused".into())), (3, Err("refused".into()))])
            .unwrap();
        let all = store::outbox(&app.db.read().unwrap()).unwrap();
        assert_eq!(all[0].status, MailStatus::Sent);
        // Message 2 had one attempt before: the second is the last (max_attempts = 2).
        assert_eq!((all[1].status, all[1].attempts), (MailStatus::Dead, 2));
        assert_eq!(all[2].last_error, "refused");
        // An unknown id (already pruned) is skipped, not an error.
        record(&app, vec![(99, Ok(()))]).unwrap();
    }

    #[test]
    fn mail_is_written_in_the_language_the_recipient_reads_when_it_is_sent() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::config::Config::default();
        config.storage.data_dir = dir.path().join("data");
        config.server.public_url = "https://portal.test/".into();
        let app = crate::app::App::open(config).unwrap();
        app.db
            .write(|txn| {
                store::put_outbox(txn, &message(1, MailStatus::Pending, 0))?;
                store::put_outbox(txn, &message(2, MailStatus::Pending, 0))?;
                Ok(())
            })
            .unwrap();
        // Account 1 now reads Russian; account 2 is gone, so its language when enqueued
        // (Kazakh) is used.
        fn languages(_: &App, user: u64) -> Option<String> {
            (user == 1).then(|| "ru".to_owned())
        }
        let due = due(&app, 10, languages).unwrap();
        let ru = app.i18n.text_with("ru", "notice-draft-sign-subject", &[("title", "t")]);
        let kk = app.i18n.text_with("kk", "notice-draft-sign-subject", &[("title", "t")]);
        assert_eq!(due[0].subject, ru);
        assert_eq!(due[1].subject, kk);
        assert!(due[0].text.contains("https://portal.test/drafts/1"), "{}", due[0].text);
        assert!(due[0].text.contains(&app.i18n.text("ru", "mail-footer")), "{}", due[0].text);
    }
}
