//! The one integration-test binary. Every test starts the real `ipgo` binary (see
//! `common/`) and drives it over HTTP, its command line and its files. One module per
//! feature under `integration/`; later features add theirs here.

#[path = "common/mod.rs"]
mod common;

#[path = "integration/access_control.rs"]
mod access_control;
#[path = "integration/access_log.rs"]
mod access_log;
#[path = "integration/access_log_viewer.rs"]
mod access_log_viewer;
#[path = "integration/accessibility.rs"]
mod accessibility;
#[path = "integration/account_requests.rs"]
mod account_requests;
#[path = "integration/api_contract.rs"]
mod api_contract;
#[path = "integration/api_docs.rs"]
mod api_docs;
#[path = "integration/appliance.rs"]
mod appliance;
#[path = "integration/appliance_memory.rs"]
mod appliance_memory;
#[path = "integration/audit_integrity.rs"]
mod audit_integrity;
#[path = "integration/browser.rs"]
mod browser;
#[path = "integration/calendar.rs"]
mod calendar;
#[path = "integration/certificate_signin.rs"]
mod certificate_signin;
#[path = "integration/cli.rs"]
mod cli;
#[path = "integration/demo_signing.rs"]
mod demo_signing;
#[path = "integration/directory.rs"]
mod directory;
#[path = "integration/discussions.rs"]
mod discussions;
#[path = "integration/document_signatures.rs"]
mod document_signatures;
#[path = "integration/documents.rs"]
mod documents;
#[path = "integration/documents_durability.rs"]
mod documents_durability;
#[path = "integration/documents_hostile.rs"]
mod documents_hostile;
#[path = "integration/drafts.rs"]
mod drafts;
#[path = "integration/drafts_vote.rs"]
mod drafts_vote;
#[path = "integration/drafts_world.rs"]
mod drafts_world;
#[path = "integration/forms.rs"]
mod forms;
#[path = "integration/forms_everywhere.rs"]
mod forms_everywhere;
#[path = "integration/forms_workflows.rs"]
mod forms_workflows;
#[path = "integration/gost.rs"]
mod gost;
#[path = "integration/headcount.rs"]
mod headcount;
#[path = "integration/headcount_browser.rs"]
mod headcount_browser;
#[path = "integration/headcount_cli.rs"]
mod headcount_cli;
#[path = "integration/help.rs"]
mod help;
#[path = "integration/helpdesk.rs"]
mod helpdesk;
#[path = "integration/ldap.rs"]
mod ldap;
#[path = "integration/ldap_settings.rs"]
mod ldap_settings;
#[path = "integration/meetings.rs"]
mod meetings;
#[path = "integration/notices.rs"]
mod notices;
#[path = "integration/pages.rs"]
mod pages;
#[path = "integration/pages_people.rs"]
mod pages_people;
#[path = "integration/plain_words.rs"]
mod plain_words;
#[path = "integration/plans.rs"]
mod plans;
#[path = "integration/polls_secrecy.rs"]
mod polls_secrecy;
#[path = "integration/proposals.rs"]
mod proposals;
#[path = "integration/reminders.rs"]
mod reminders;
#[path = "integration/request_limits.rs"]
mod request_limits;
#[path = "integration/search.rs"]
mod search;
#[path = "integration/search_extract.rs"]
mod search_extract;
#[path = "integration/search_forkserver.rs"]
mod search_forkserver;
#[path = "integration/self_audit.rs"]
mod self_audit;
#[path = "integration/signatures.rs"]
mod signatures;
#[path = "integration/signin.rs"]
mod signin;
#[path = "integration/signing_browser.rs"]
mod signing_browser;
#[path = "integration/source_tree.rs"]
mod source_tree;
#[path = "integration/surveys.rs"]
mod surveys;
#[path = "integration/surveys_authors.rs"]
mod surveys_authors;
#[path = "integration/surveys_builder.rs"]
mod surveys_builder;
#[path = "integration/surveys_pages.rs"]
mod surveys_pages;
#[path = "integration/trust_admin.rs"]
mod trust_admin;
#[path = "integration/web_security.rs"]
mod web_security;

#[path = "integration/tls_audit.rs"]
mod tls_audit;
#[path = "integration/trainings.rs"]
mod trainings;
#[path = "integration/upgrade.rs"]
mod upgrade;
#[path = "integration/usage.rs"]
mod usage;
#[path = "integration/usage_page.rs"]
mod usage_page;

#[path = "integration/layout.rs"]
mod layout;
#[path = "integration/meetings_session.rs"]
mod meetings_session;
#[path = "integration/packaging.rs"]
mod packaging;
