//! `HEAD` is `GET` without a body (RFC 9110 §9.3.2). The route table declares `GET` only,
//! so this middleware, the innermost one, routes a `HEAD` request as `GET`. The pipeline
//! outside it has already seen, checked and logged the request as `HEAD`; the HTTP codec,
//! which decoded `HEAD`, sends the response's headers (its length included) and no body.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
