//! A refusal of a page that a person opened (a browser's address bar, an OBS
//! browser source, a charity's site framing the counter) said as a page in
//! its language instead of the API's JSON: a wrong or replaced link, a live or
//! a campaign that is gone. Scripts (which do not ask for `text/html`) keep
//! the JSON.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::Digest;
use std::sync::OnceLock;

/// Hides an overlay's refusal inside OBS: a browser source shows nothing on
/// stream, a browser opened by the streamer shows why.
const IN_OBS: &str = "if (window.obsstudio) document.body.hidden = true;";

/// `IN_OBS`'s digest, the only script the overlay's refusal runs.
fn in_obs_csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let digest = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(IN_OBS.as_bytes()));
        format!(
            "default-src 'none'; script-src 'sha256-{digest}'; style-src 'self'; base-uri 'none'; form-action 'none'"
        )
    })
}

/// The middleware of the pages, the overlays and the counter.
pub async fn pages(req: Request, next: Next) -> Response {
    let wants_html =
        req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let path = req.uri().path().to_owned();
    let en = req.uri().query().is_some_and(|q| q.split('&').any(|kv| kv == "lang=en"));
    let res = next.run(req).await;
    let json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !wants_html || !json || !(res.status().is_client_error() || res.status().is_server_error()) {
        return res;
    }
    let status = res.status();
    let (parts, body) = res.into_parts();
    let code = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(b) => serde_json::from_slice::<serde_json::Value>(&b)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let page = page(status, &code, en, &path);
    let mut res = Response::from_parts(parts, Body::from(page.body));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.remove(header::CONTENT_LENGTH);
    if let Ok(csp) = HeaderValue::from_str(page.csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res
}

struct Page {
    body: String,
    csp: &'static str,
}

/// The page for `status` and the API's `code` on `path`.
fn page(status: StatusCode, code: &str, en: bool, path: &str) -> Page {
    let overlay = path.starts_with("/overlay/");
    let (title, text) = match (status, en) {
        (StatusCode::NOT_FOUND, false) => {
            ("Introuvable", "Ce live ou cette campagne n'existe pas, ou plus. Vérifiez le lien que vous avez reçu.")
        }
        (StatusCode::NOT_FOUND, true) => {
            ("Not found", "This live or campaign does not exist, or no longer does. Check the link you were given.")
        }
        (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, false) => (
            "Lien non valide",
            "Ce lien n'est pas, ou plus, valide\u{a0}: il a pu être remplacé par un nouveau. Demandez le lien du moment \
             à qui vous l'a donné.",
        ),
        (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, true) => (
            "Link not valid",
            "This link is not valid, or no longer: a new one may have replaced it. Ask whoever gave it to you for \
             the current one.",
        ),
        (_, false) => ("Erreur", "Cette page n'a pas pu s'afficher. Réessayez dans un instant."),
        (_, true) => ("Error", "This page could not be shown. Try again in a moment."),
    };
    let lang = if en { "en" } else { "fr" };
    let code = escape(code);
    let (script, csp, class) = if overlay {
        (format!("<script>{IN_OBS}</script>"), in_obs_csp(), "refused overlay")
    } else if path.ends_with("/embed") {
        // The counter is framed by the charity's own site.
        (
            String::new(),
            "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *",
            "refused",
        )
    } else {
        (String::new(), super::pages::PUBLIC_CSP, "refused")
    };
    let body = format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"/static/pages.css\"></head>\n\
         <body class=\"{class}\"><main><section class=\"card\"><h1>{title}</h1><p>{text}</p>\
         <p class=\"help\">{status} · <code>{code}</code></p></section></main>{script}</body>\n</html>\n",
        status = status.as_u16(),
    );
    Page { body, csp }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The overlay's script is the one its policy names, and only it.
    #[test]
    fn the_overlay_s_refusal_runs_its_one_script() {
        let p = page(StatusCode::UNAUTHORIZED, "unauthorized", false, "/overlay/lives/x/alert");
        let digest = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(IN_OBS.as_bytes()));
        assert!(p.csp.contains(&format!("'sha256-{digest}'")), "{}", p.csp);
        assert!(p.body.contains(&format!("<script>{IN_OBS}</script>")));
        assert!(p.body.contains("Lien non valide") && p.body.contains("<code>unauthorized</code>"));
        let p = page(StatusCode::NOT_FOUND, "<b>", true, "/campaigns/x/embed");
        assert!(p.csp.ends_with("frame-ancestors *") && p.body.contains("&lt;b&gt;") && p.body.contains("Not found"));
    }
}
