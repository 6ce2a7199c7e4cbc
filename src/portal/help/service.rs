//! Reading a guide: the policy check (every signed-in person may read the guides), then
//! the rendered guide from a memo — the guides are compiled in, so each language version is
//! rendered once per process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use super::model::{Guide, Rendered, Topic};
use crate::actor::Actor;
use crate::auth::policy::{self, Action, Object};
use crate::error::Result;

/// A guide as a reader of one language gets it.
pub struct GuideView {
    pub guide: Guide,
    /// The language the text is written in (may differ from the reader's).
    pub lang: &'static str,
    pub rendered: Arc<Rendered>,
}

type Memo = Mutex<HashMap<(&'static str, &'static str), Arc<Rendered>>>;

fn rendered(guide: Guide, lang: &str) -> (&'static str, Arc<Rendered>) {
    static MEMO: OnceLock<Memo> = OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    let (text_lang, markdown) = guide.text(lang);
    let key = (guide.slug(), text_lang);
    if let Some(r) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return (text_lang, r.clone());
    }
    let r = Arc::new(super::model::render(&markdown));
    memo.lock().unwrap_or_else(|e| e.into_inner()).insert(key, r.clone());
    (text_lang, r)
}

/// The guide for a reader of `lang` (the language asked for with `?in=` when the guide has
/// it, else the reader's, else the guide's fallback).
pub fn guide(actor: &Actor, guide: Guide, lang: &str) -> Result<GuideView> {
    policy::require(actor, Action::HelpRead, Object::Appliance)?;
    let (lang, rendered) = rendered(guide, lang);
    Ok(GuideView { guide, lang, rendered })
}

/// Where a topic is explained, for a reader of `lang`.
pub fn topic_href(actor: &Actor, topic: Topic, lang: &str) -> Result<String> {
    policy::require(actor, Action::HelpRead, Object::Appliance)?;
    static MEMO: OnceLock<Mutex<HashMap<(&'static str, String), String>>> = OnceLock::new();
    let memo = MEMO.get_or_init(Default::default);
    let key = (topic.slug(), lang.to_owned());
    if let Some(href) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(href.clone());
    }
    let href = topic.href(lang);
    memo.lock().unwrap_or_else(|e| e.into_inner()).insert(key, href.clone());
    Ok(href)
}
