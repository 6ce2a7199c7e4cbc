//! Routes of search: `GET /api/v1/search` (JSON) and `GET /search` (the results page behind
//! the search box of every page). Searches queue for a permit (at most a few run at once) and
//! run off the async executor.

use actix_web::{HttpResponse, web};

use super::pages::ResultsPage;
use super::service::{self, Page, Params};
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::web::blocking;
use crate::web::render::{PageCtx, html, json};
use crate::web::request::SignedIn;

type Data = web::Data<App>;

pub fn routes(cfg: &mut crate::web::routes::RouteTable) {
    cfg.route("/search", web::get().to(results_page))
        .route("/api/v1/search", web::get().to(api_search));
}

async fn run(app: &Data, s: &SignedIn, params: Params) -> Result<Page> {
    let _permit = app.search.permits.acquire().await.map_err(Error::internal)?;
    let (a, actor, lang) = (app.clone().into_inner(), s.actor.clone(), s.state.lang);
    blocking(move || service::search(&a, &actor, &params, lang)).await
}

async fn api_search(app: Data, s: SignedIn, q: web::Query<Params>) -> Result<HttpResponse> {
    Ok(json(&run(&app, &s, q.into_inner()).await?))
}

async fn results_page(app: Data, s: SignedIn, q: web::Query<Params>) -> Result<HttpResponse> {
    let params = q.into_inner();
    let asked = !params.q.trim().is_empty()
        || [
            &params.doc_type,
            &params.agency,
            &params.author,
            &params.status,
            &params.from,
            &params.to,
        ]
        .iter()
        .any(|v| !v.trim().is_empty());
    let (result, error) = if asked {
        match run(&app, &s, params.clone()).await {
            Ok(page) => (Some(page), None),
            // A mistyped filter is shown beside the form, not as an error page.
            Err(e) if e.code == Code::InvalidInput => {
                (None, Some(app.i18n.error_message(s.state.lang, &e)))
            }
            Err(e) => return Err(e),
        }
    } else {
        (None, None)
    };
    let a = app.clone().into_inner();
    let actor = s.actor.clone();
    let agencies =
        blocking(move || crate::portal::directory::service::agencies(&a, &actor)).await?;
    s.actor.origin.set_operation("search.query");
    let mut page = PageCtx::new(&app, &s.state, "search-title", "search");
    page.search = params.q.clone();
    html(&ResultsPage {
        page,
        params,
        result,
        error,
        agencies,
        types: crate::portal::documents::model::TYPES,
    })
}
