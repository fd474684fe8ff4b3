//! Who is calling: bearer tokens and session cookies turned into a [`Caller`], the caller's
//! language, and CSRF checks for browser writes.

use crate::AppState;
use crate::error::{ApiError, json_rejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use tandem_app::AppError;
use tandem_app::org::accounts::Session;
use tandem_domain::Lang;

pub const SESSION_COOKIE: &str = "tandem_session";
pub const LANG_COOKIE: &str = "tandem_lang";
pub const LOGIN_CSRF_COOKIE: &str = "tandem_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

pub fn header_lang(h: &HeaderMap) -> Lang {
    h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(Lang::from_accept_language).unwrap_or_default()
}

/// The language of a page: the switch the user clicked (cookie), else the browser's.
pub fn page_lang(h: &HeaderMap) -> Lang {
    let jar = CookieJar::from_headers(h);
    jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())).unwrap_or_else(|| header_lang(h))
}

/// The caller's language for the API, from `Accept-Language`.
pub struct ApiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ApiLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiLang(header_lang(&parts.headers)))
    }
}

/// An authenticated API caller (bearer token, or a browser session cookie plus CSRF header).
pub struct Caller {
    pub session: Session,
    pub lang: Lang,
    /// The bearer secret or cookie value, for sign-out.
    pub secret: String,
}

fn bearer(h: &HeaderMap) -> Option<String> {
    let v = h.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = header_lang(&parts.headers);
        let fail = |err| ApiError { err, lang };
        if let Some(secret) = bearer(&parts.headers) {
            let session = state.app.authenticate(&secret).await.map_err(fail)?;
            // An ingestion token pushes and reads metrics, nothing else.
            if session.kind == "ingest" && !parts.uri.path().starts_with("/api/v1/metrics") {
                return Err(fail(AppError::TokenScope));
            }
            return Ok(Caller { session, lang, secret });
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(secret) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(fail(AppError::Unauthenticated));
        };
        let session = state.app.authenticate(&secret).await.map_err(fail)?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let token = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !safe && !constant_eq(token, &session.csrf) {
            return Err(fail(AppError::Forbidden));
        }
        Ok(Caller { session, lang, secret })
    }
}

/// Compares secrets without an early exit that timing could reveal.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A JSON body whose parse errors answer in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lang = header_lang(req.headers());
        // Every body is an object: an array would be read by position (`[null, null]` once
        // detached an org unit and cleared its manager).
        let v = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(rej) => return Err(json_rejection(rej, lang)),
        };
        if !v.is_object() {
            let why = lang.pick("请求体须是一个 JSON 对象（{…}）", "The request body must be a JSON object ({…})");
            return Err(crate::error::bad_request(why.to_string()));
        }
        serde_json::from_value::<T>(v).map(ApiJson).map_err(|e| {
            let why = lang.pick("请求体字段不符合要求：", "The request body has missing or mistyped fields: ");
            crate::error::bad_request(format!("{why}{e}"))
        })
    }
}

/// A signed-in browser user, for pages. Without a session the browser is sent to sign in.
pub struct PageUser {
    pub session: Session,
    pub lang: Lang,
    /// Unread notifications: the bell's number on every page.
    pub unread: i64,
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let to_login = || {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()
        };
        let Some(secret) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
            return Err(to_login());
        };
        match state.app.authenticate(&secret).await {
            Ok(session) => {
                let lang = jar
                    .get(LANG_COOKIE)
                    .and_then(|c| Lang::parse(c.value()))
                    .or_else(|| Lang::parse(&session.lang))
                    .unwrap_or_else(|| header_lang(&parts.headers));
                let unread = state.app.unread_notifications(&session.actor).await.unwrap_or(0);
                Ok(PageUser { session, lang, unread })
            }
            Err(AppError::Unauthenticated) => Err(to_login()),
            Err(e) => Err(crate::pages::error_page(&e, header_lang(&parts.headers))),
        }
    }
}

/// Where the caller connects from, for sign-in throttling.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "local".into());
        Ok(ClientAddr(addr))
    }
}

pub fn session_cookie(value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(SESSION_COOKIE, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c.set_max_age(time::Duration::days(14));
    c
}

pub fn plain_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(secure);
    c.set_max_age(time::Duration::days(365));
    c
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A local path to return to after sign-in; anything else (another site) becomes `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n.to_string(),
        _ => "/".to_string(),
    }
}

/// A path parameter whose parse errors answer in the API's error shape.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = header_lang(&parts.headers);
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(rej) => Err(crate::error::bad_param(rej.body_text(), lang)),
        }
    }
}

/// A query string whose parse errors answer in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = header_lang(&parts.headers);
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rej) => Err(crate::error::bad_param(rej.body_text(), lang)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/people?unit=3")), "/people?unit=3");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert!(constant_eq("abc", "abc"));
        assert!(!constant_eq("abc", "abd"));
        assert!(!constant_eq("abc", "ab"));
    }
}
