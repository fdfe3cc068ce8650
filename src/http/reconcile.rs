//! The charity's accounts checked against the payment provider's: a CSV export
//! of the provider's payments (Stripe's, HelloAsso's, Ko-fi's, a spreadsheet)
//! compared, payment by payment, with the donations Cagnotte counted, by each
//! donation's payment reference. What is in one and not in the other, and
//! what differs, is listed: a payment whose webhook never came, a donation
//! counted that the provider does not know, an amount that differs.

use super::admin::{Logged, donations_of};
use super::{Path, Query};
use crate::app::AppState;
use crate::domain::Timestamp;
use crate::domain::text::{DONOR_MAX, MESSAGE_MAX};
use crate::error::ApiError;
use crate::money::Currency;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use jiff::tz::TimeZone;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The largest export taken: a year of a big campaign's payments.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;

/// The column names that hold a payment's reference, as providers' exports
/// name them (compared folded: lower case, no accents, `_` as a space), most
/// telling first.
const REFERENCE_NAMES: [&str; 12] = [
    "paymentintent id",
    "payment intent id",
    "payment intent",
    "payment id",
    "reference du paiement",
    "numero du paiement",
    "numero de paiement",
    "kofi transaction id",
    "transaction id",
    "reference",
    "payment reference",
    "id",
];

/// The column names that hold the amount paid, most telling first; else the
/// first column whose name starts with "montant" or "amount" (not a refund's).
const AMOUNT_NAMES: [&str; 5] = ["amount", "montant", "gross", "montant du paiement", "montant total"];

/// The columns that name the donor, when the export has one (Stripe's
/// metadata as its export names it, Ko-fi's "From", a spreadsheet's).
const DONOR_NAMES: [&str; 9] = [
    "donor (metadata)",
    "pseudo (metadata)",
    "name (metadata)",
    "donor",
    "donateur",
    "donatrice",
    "pseudo",
    "from",
    "from name",
];
/// Else a first name and a last name (HelloAsso's payer), said as its
/// webhook says them: "Inès D.".
const FIRST_NAMES: [&str; 5] = ["prenom", "prenom payeur", "prenom du payeur", "prenom donateur", "first name"];
const LAST_NAMES: [&str; 5] = ["nom", "nom payeur", "nom du payeur", "nom donateur", "last name"];
const MESSAGE_NAMES: [&str; 4] = ["message (metadata)", "message", "commentaire", "comment"];
/// The columns of the payment's time, most telling first.
const DATE_NAMES: [&str; 11] = [
    "created date (utc)",
    "created (utc)",
    "datetime (utc)",
    "date time (utc)",
    "date (utc)",
    "date du paiement",
    "date de paiement",
    "date de la commande",
    "created",
    "date",
    "paid at",
];

/// One of the export's payments.
#[derive(Debug, PartialEq)]
struct Row {
    reference: String,
    /// In minor units.
    amount: i64,
    donor: Option<String>,
    message: Option<String>,
    paid_at: Option<Timestamp>,
}

/// The export's payments to compare.
struct Export {
    reference: String,
    amount: String,
    /// The columns read besides, when found: the donor's (one, or a first
    /// and a last name as "Prénom + Nom"), the message's, the time's.
    donor: Option<String>,
    message: Option<String>,
    date: Option<String>,
    rows: Vec<Row>,
    /// Rows left aside: no reference, or a negative amount (a refund's line).
    skipped: usize,
}

/// `a`, lower case, without accents, `_` and `-` as spaces, trimmed.
fn folded(a: &str) -> String {
    // A word's capital starts a word of its own: "TransactionId" is "transaction id".
    let mut spaced = String::with_capacity(a.len() + 4);
    let mut lower_before = false;
    for c in a.chars() {
        if c.is_uppercase() && lower_before {
            spaced.push(' ');
        }
        lower_before = c.is_lowercase();
        spaced.push(c);
    }
    crate::domain::moderation::normalize(&spaced)
        .replace(['_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The separator of a CSV export: the one of `,`, `;` and tab its first line
/// holds most of (French spreadsheets write `;`).
fn separator(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    [b',', b';', b'\t'].into_iter().max_by_key(|s| first.bytes().filter(|b| b == s).count()).unwrap_or(b',')
}

/// An amount as exports write it, in major units ("15.00", "1 234,50 €",
/// "€1,234.50", "15"), in minor units of `currency`; `None` when it is not one.
pub fn amount(cell: &str, currency: Currency) -> Option<i64> {
    let negative = cell.trim_start().starts_with('-');
    let kept: String = cell.chars().filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',').collect();
    if kept.is_empty() {
        return None;
    }
    let exponent = currency.exponent() as usize;
    // The decimal mark is the last `.` or `,` followed by at most the
    // currency's decimals; any other is a thousands separator.
    let mark = kept.rfind(['.', ',']).filter(|i| {
        let decimals = kept.len() - i - 1;
        decimals >= 1 && decimals <= exponent.max(2) && (decimals != 3 || exponent == 3)
    });
    let (int, frac) = match mark {
        Some(i) => (&kept[..i], &kept[i + 1..]),
        None => (kept.as_str(), ""),
    };
    // Thousands separators part groups of three digits.
    let mut groups = int.split(['.', ',']);
    let first = groups.next().unwrap_or("");
    if groups.any(|g| g.len() != 3) || (first.is_empty() && int.contains(['.', ','])) {
        return None;
    }
    let int: String = int.chars().filter(char::is_ascii_digit).collect();
    let plain = if frac.is_empty() { int } else { format!("{}.{frac}", if int.is_empty() { "0" } else { &int }) };
    let minor = crate::webhooks::decimal::parse_minor(&plain, currency.exponent()).ok()?;
    Some(if negative { -minor } else { minor })
}

/// A payment's time as exports write it: RFC 3339 with its offset, else
/// "2026-12-01 20:10[:33]" (Stripe's, Ko-fi's) or "01/12/2026 20:10[:33]"
/// (day first, French spreadsheets' and HelloAsso's) on `zone`'s clock. A date
/// without its time, or anything else, is none: the time only suggests a live.
fn paid_at(cell: &str, zone: &TimeZone) -> Option<Timestamp> {
    let cell = cell.trim();
    if let Ok(t) = cell.parse::<jiff::Timestamp>() {
        return Some(Timestamp::from_millis(t.as_millisecond()));
    }
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ]
    .iter()
    .find_map(|f| jiff::civil::DateTime::strptime(f, cell).ok())
    // A time a clock change skips or repeats is read as before the change.
    .and_then(|civil| zone.to_ambiguous_timestamp(civil).compatible().ok())
    .map(|t| Timestamp::from_millis(t.as_millisecond()))
}

/// Reads the export: its reference and amount columns (as `ask` names them,
/// else found by [`REFERENCE_NAMES`] and [`AMOUNT_NAMES`]), the donor's,
/// message's and time's (as `ask` names them, else when found; the time on
/// `zone`'s clock unless its column says UTC), and its rows.
fn read(text: &str, currency: Currency, ask: &Ask, zone: &TimeZone) -> Result<Export, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator(text))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().map_err(unreadable)?.iter().map(str::to_owned).collect();
    let names: Vec<String> = headers.iter().map(|h| folded(h)).collect();
    let asked = |name: &str| names.iter().position(|n| *n == folded(name));
    let pick = |asked_for: Option<&str>, known: &[&str], prefix: &[&str], field: &'static str| match asked_for {
        Some(name) => {
            asked(name).ok_or_else(|| columns(field, &format!("the export has no column {name:?}"), &headers))
        }
        None => known
            .iter()
            .find_map(|k| names.iter().position(|n| n == k))
            .or_else(|| {
                names.iter().position(|n| {
                    prefix.iter().any(|p| n.starts_with(p)) && !n.contains("rembours") && !n.contains("refund")
                })
            })
            .ok_or_else(|| columns(field, "no column of the export is known to hold it: name it", &headers)),
    };
    let (r, a) = match (
        pick(ask.reference.as_deref(), &REFERENCE_NAMES, &[], "reference"),
        pick(ask.amount.as_deref(), &AMOUNT_NAMES, &["montant", "amount"], "amount"),
    ) {
        (Ok(r), Ok(a)) => (r, a),
        // Both to name: said at once, not one after the other.
        (Err(_), Err(_)) if ask.reference.is_none() && ask.amount.is_none() => {
            return Err(columns(
                "reference_and_amount",
                "no column of the export is known to hold them: name them",
                &headers,
            ));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let known = |k: &[&str]| k.iter().find_map(|k| names.iter().position(|n| n == k)).filter(|i| ![r, a].contains(i));
    // A column named in `ask` must be there; else the usual names, if any.
    let named = |name: Option<&String>, field: &'static str| {
        name.map(|n| asked(n).ok_or_else(|| columns(field, &format!("the export has no column {n:?}"), &headers)))
            .transpose()
    };
    let donor = match named(ask.donor.as_ref(), "donor")? {
        Some(d) => Some((d, None)),
        None => match known(&DONOR_NAMES) {
            Some(d) => Some((d, None)),
            None => known(&FIRST_NAMES)
                .map(|f| (f, known(&LAST_NAMES)))
                // A name alone ("Nom" without "Prénom"): the donor's whole name.
                .or_else(|| known(&["nom du donateur", "nom", "name"]).map(|n| (n, None))),
        },
    };
    let message = named(ask.message.as_ref(), "message")?.or_else(|| known(&MESSAGE_NAMES));
    let date = named(ask.date.as_ref(), "date")?.or_else(|| known(&DATE_NAMES));
    let date_zone = match date {
        Some(d) if names[d].contains("utc") => TimeZone::UTC,
        _ => zone.clone(),
    };
    // As a provider's webhook cleans its texts: control characters out, cut to length.
    let text_of =
        |record: &csv::StringRecord, i: usize, max: usize| crate::webhooks::clean_text("text", record.get(i), max);
    let mut rows = Vec::new();
    let mut skipped = 0;
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(unreadable)?;
        let reference = record.get(r).unwrap_or("").trim();
        let cell = record.get(a).unwrap_or("");
        let Some(minor) = amount(cell, currency) else {
            if reference.is_empty() && cell.trim().is_empty() {
                skipped += 1;
                continue;
            }
            return Err(ApiError::invalid(
                "invalid_export",
                format!("line {}: {cell:?} is not an amount in {}", line + 2, currency.code()),
            )
            .with("line", line + 2));
        };
        if reference.is_empty() || minor < 0 {
            skipped += 1;
            continue;
        }
        let donor = donor.and_then(|(first, last)| {
            let first = text_of(&record, first, DONOR_MAX)?;
            let last = last.and_then(|l| text_of(&record, l, DONOR_MAX)).unwrap_or_default();
            crate::webhooks::clean_text(
                "donor",
                Some(&crate::webhooks::helloasso::short_name(&first, &last)),
                DONOR_MAX,
            )
        });
        rows.push(Row {
            reference: reference.to_owned(),
            amount: minor,
            donor,
            message: message.and_then(|m| text_of(&record, m, MESSAGE_MAX)),
            paid_at: date.and_then(|d| paid_at(record.get(d).unwrap_or(""), &date_zone)),
        });
    }
    Ok(Export {
        reference: headers[r].clone(),
        amount: headers[a].clone(),
        donor: donor.map(|(d, last)| match last {
            Some(l) => format!("{} + {}", headers[d], headers[l]),
            None => headers[d].clone(),
        }),
        message: message.map(|m| headers[m].clone()),
        date: date.map(|d| headers[d].clone()),
        rows,
        skipped,
    })
}

fn unreadable(e: csv::Error) -> ApiError {
    ApiError::invalid("invalid_export", format!("the export is not a CSV file that can be read: {e}"))
}

fn columns(field: &'static str, why: &str, headers: &[String]) -> ApiError {
    ApiError::invalid("export_columns", format!("the {field} column: {why} (its columns are in `columns`)"))
        .with("field", field)
        .with("columns", headers.to_vec())
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Ask {
    /// The column of the payments' references, by its header.
    reference: Option<String>,
    /// The column of the amounts paid, by its header.
    amount: Option<String>,
    /// The columns of the donor's name, of the message and of the payment's
    /// time, by their headers, when their names are not the usual ones.
    donor: Option<String>,
    message: Option<String>,
    date: Option<String>,
    /// Compare with this platform's donations only (`stripe`, `helloasso`…).
    platform: Option<String>,
    /// The clock of the export's times when their column does not say UTC
    /// (an IANA name; UTC without it).
    tz: Option<String>,
}

/// `POST /api/v1/campaigns/{id}/reconcile[?platform=stripe][&reference=…][&amount=…]`
/// (the admin or the charity's key), with a provider's CSV export as the body:
/// each of its payments found among the campaign's donations by reference and
/// amount. Changes nothing.
pub async fn reconcile(
    State(app): State<AppState>,
    Path(campaign_id): Path<String>,
    headers: HeaderMap,
    Query(ask): Query<Ask>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let currency = super::admin::report_currency(&app, &headers, &campaign_id)?;
    let bytes = body.map_err(|e| super::body_rejection_over(e, MAX_BYTES))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::invalid("invalid_export", "the export is not UTF-8 text: save it as CSV UTF-8"))?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(ApiError::invalid("invalid_export", "the export is empty"));
    }
    let zone = super::admin::zone_named(ask.tz.as_deref())?.map_or(TimeZone::UTC, |(z, _)| z);
    let export = read(text, currency, &ask, &zone)?;
    let donations = donations_of(&app, &campaign_id, None, u64::MAX).await?;
    let platform = ask.platform.as_deref().map(str::trim).filter(|p| !p.is_empty());
    // A missing payment's live: the one a campaign's integration would have
    // counted it on at its time.
    let live_at = |at: Timestamp| super::integrations::live_for(&app, &campaign_id, at, |_| true);
    Ok(axum::Json(compare(&export, &donations, platform, live_at)).into_response())
}

/// The export's payments against the donations with a reference (of
/// `platform` only, when given), oldest first as each lists them.
fn compare(
    export: &Export,
    donations: &[Logged],
    platform: Option<&str>,
    live_at: impl Fn(Timestamp) -> Option<String>,
) -> Value {
    // Newest first from the log: the oldest donation of a reference wins.
    let mut ours: HashMap<&str, &Logged> = HashMap::new();
    for l in donations.iter().rev() {
        if let Some(r) = l.reference.as_deref()
            && platform.is_none_or(|p| l.donation.platform == p)
        {
            ours.entry(r).or_insert(l);
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let (mut matched, mut missing, mut differing, mut repeated) = (0u64, vec![], vec![], vec![]);
    for row in &export.rows {
        let (reference, amount) = (&row.reference, &row.amount);
        let n = seen.entry(reference.as_str()).or_default();
        *n += 1;
        if *n == 2 {
            repeated.push(json!(reference));
        }
        if *n > 1 {
            continue;
        }
        match ours.get(reference.as_str()) {
            None => missing.push(json!({
                "reference": reference, "amount": amount, "paid_at": row.paid_at, "donor": row.donor,
                "message": row.message, "live_id": row.paid_at.and_then(&live_at),
            })),
            Some(l) if l.donation.amount != *amount => differing.push(json!({
                "reference": reference, "amount_in_export": amount, "amount": l.donation.amount,
                "donation": donation(l),
            })),
            Some(_) => matched += 1,
        }
    }
    let mut unknown: Vec<&Logged> = ours.iter().filter(|(r, _)| !seen.contains_key(*r)).map(|(_, l)| *l).collect();
    unknown.sort_by_key(|l| (l.donation.at, l.donation.id.clone()));
    json!({
        "columns": {
            "reference": export.reference, "amount": export.amount,
            "donor": export.donor, "message": export.message, "date": export.date,
        },
        "rows": export.rows.len(), "skipped": export.skipped,
        "matched": matched,
        "missing": missing,
        "unknown": unknown.iter().map(|l| donation(l)).collect::<Vec<_>>(),
        "differing": differing,
        "repeated": repeated,
    })
}

/// A payment the provider took but whose webhook never came, counted by the
/// organisers from the comparison: `{provider, payment_id, amount, currency,
/// donor?, message?, anonymous?}`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedPayment {
    provider: String,
    payment_id: String,
    amount: Value,
    currency: String,
    donor: Option<String>,
    message: Option<String>,
    anonymous: Option<bool>,
}

/// `POST /api/v1/lives/{id}/payments` (admin): counts a provider's payment on
/// the live as its webhook would have, under the same donation id and key, so
/// that the webhook, should it come after all, counts it no second time
/// (`409 payment_counted` when it came first).
pub async fn count_payment(
    State(app): State<AppState>,
    Path(live_id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    use crate::domain::state::{Command, Principal, Refusal};
    app.require_admin(&headers)?;
    if !app.views.has_live(&live_id) {
        return Err(ApiError::not_found("live_not_found", "no live has this id"));
    }
    let b: MissedPayment = super::parse_json(&body.map_err(super::body_rejection)?)?;
    let provider = crate::domain::Provider::parse(b.provider.trim()).ok_or_else(|| {
        ApiError::invalid("invalid_field", format!("provider must be {}", crate::domain::Provider::NAMES))
            .with("field", "provider")
    })?;
    let payment_id = crate::webhooks::provider_id("payment_id", Some(b.payment_id.trim()))
        .map_err(|e| ApiError::invalid("invalid_field", e.to_string()).with("field", "payment_id"))?;
    let currency = Currency::parse(&b.currency)?;
    let amount = crate::money::Amount::from_json_in(&b.amount, currency, app.config.max_amount)?;
    let donor = crate::domain::text::optional("donor", b.donor.as_deref(), crate::domain::text::DONOR_MAX)?;
    let message = crate::domain::text::optional("message", b.message.as_deref(), crate::domain::text::MESSAGE_MAX)?;
    // As the provider's webhook makes it: its id, its key.
    let payment = crate::webhooks::Incoming {
        payment_id,
        event_id: String::new(),
        amount: amount.minor(),
        currency,
        donor,
        message,
        anonymous: b.anonymous.unwrap_or(false),
        live_id: None,
        vote: None,
        reward: None,
        channel: None,
    };
    let (donation, idempotency) = payment.donation(provider, live_id);
    let cmd = Command::Donate { by: Principal::Admin, donation, idempotency: Some(idempotency), reward: None };
    match app.ledger.submit(cmd).await {
        Ok(outcome) => Ok(super::api::outcome_response(outcome, axum::http::StatusCode::CREATED)),
        Err(crate::ledger::LedgerError::Refused(Refusal::IdempotencyConflict | Refusal::IdTaken("donation"))) => {
            Err(ApiError::new(axum::http::StatusCode::CONFLICT, "payment_counted", "this payment is already counted"))
        }
        Err(e) => Err(e.into()),
    }
}

/// A donation as the comparison lists it.
fn donation(l: &Logged) -> Value {
    let d = &l.donation;
    json!({
        "id": d.id, "live_id": d.live_id, "reference": l.reference, "amount": d.amount,
        "refunded_amount": d.refunded_amount, "platform": d.platform, "at": d.at, "donor": d.donor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_exports_write_them() {
        let eur = Currency::parse("EUR").unwrap();
        for (cell, minor) in [
            ("15.00", Some(1500)),
            ("15,00", Some(1500)),
            ("15", Some(1500)),
            ("1 234,50 €", Some(123_450)),
            ("1\u{202f}234,50\u{a0}€", Some(123_450)),
            ("€1,234.50", Some(123_450)),
            ("1.234,50", Some(123_450)),
            ("1,234", Some(123_400)),
            ("0.5", Some(50)),
            ("-15.00", Some(-1500)),
            ("EUR 7.10", Some(710)),
            ("", None),
            ("gratuit", None),
            ("1.234.5678", None),
        ] {
            assert_eq!(amount(cell, eur), minor, "{cell:?}");
        }
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(amount("1,500", jpy), Some(1500));
        assert_eq!(amount("¥1500", jpy), Some(1500));
    }

    /// An `Ask` naming these columns, as the query string would.
    fn ask(pairs: &[(&str, &str)]) -> Ask {
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", v.replace(' ', "+"))).collect();
        serde_urlencoded::from_str(&query.join("&")).unwrap()
    }

    fn row(reference: &str, amount: i64) -> Row {
        Row { reference: reference.to_owned(), amount, donor: None, message: None, paid_at: None }
    }

    #[test]
    fn the_columns_are_found_by_their_usual_names() {
        let eur = Currency::parse("EUR").unwrap();
        let utc = TimeZone::UTC;
        let stripe = "id,Created date (UTC),Amount,Amount Refunded,Currency,PaymentIntent ID\nch_1,2026-12-01,15.00,0.00,eur,pi_1\n";
        let e = read(stripe, eur, &Ask::default(), &utc).unwrap();
        assert_eq!(
            (e.reference.as_str(), e.amount.as_str(), e.date.as_deref(), e.donor, e.rows),
            ("PaymentIntent ID", "Amount", Some("Created date (UTC)"), None, vec![row("pi_1", 1500)])
        );
        let french = "\u{feff}Date;Numéro de paiement;Montant (€);Statut\n01/12/2026;1234;15,00;Validé\n;;;\n02/12/2026;1235;-15,00;Remboursé\n";
        let e = read(french.trim_start_matches('\u{feff}'), eur, &Ask::default(), &utc).unwrap();
        assert_eq!(
            (e.reference.as_str(), e.amount.as_str(), e.rows, e.skipped),
            ("Numéro de paiement", "Montant (€)", vec![row("1234", 1500)], 2)
        );
        // Ko-fi's names run their words together: "TransactionId", "DateTime (UTC)".
        let kofi = "DateTime (UTC),From,Message,Amount,Currency,TransactionType,TransactionId\n2026-12-01 20:15,Ana,Go,5.00,EUR,Donation,tx-1\n";
        let e = read(kofi, eur, &Ask::default(), &utc).unwrap();
        assert_eq!(
            (e.reference.as_str(), e.amount.as_str(), e.date.as_deref(), e.donor.as_deref(), e.rows.len()),
            ("TransactionId", "Amount", Some("DateTime (UTC)"), Some("From"), 1)
        );
        assert_eq!((e.rows[0].reference.as_str(), e.rows[0].amount), ("tx-1", 500));
        let named = read("ref,total\nA,2\n", eur, &ask(&[("reference", "ref"), ("amount", "total")]), &utc).unwrap();
        assert_eq!(named.rows, vec![row("A", 200)]);
        let err = read("a,b\n1,2\n", eur, &Ask::default(), &utc).err().unwrap();
        assert_eq!(
            (err.code, err.details.iter().find(|d| d.0 == "field").map(|d| &d.1)),
            ("export_columns", Some(&serde_json::json!("reference_and_amount")))
        );
        let err = read("a,amount\n1,2\n", eur, &Ask::default(), &utc).err().unwrap();
        assert_eq!(
            (err.code, err.details.iter().find(|d| d.0 == "field").map(|d| &d.1)),
            ("export_columns", Some(&serde_json::json!("reference")))
        );
        let err = read("id,b\n1,2\n", eur, &Ask::default(), &utc).err().unwrap();
        assert_eq!(
            (err.code, err.details.iter().find(|d| d.0 == "field").map(|d| &d.1)),
            ("export_columns", Some(&serde_json::json!("amount")))
        );
        let err = read("id,amount\nx,beaucoup\n", eur, &Ask::default(), &utc).err().unwrap();
        assert_eq!(err.code, "invalid_export");
    }

    /// Who paid, what they wrote and when, read where the export says them.
    #[test]
    fn the_donor_the_message_and_the_time_are_read_when_found() {
        let eur = Currency::parse("EUR").unwrap();
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let at = |s: &str| Some(Timestamp::parse(s).unwrap());
        // Stripe's export: the metadata's columns, a time in UTC whatever the zone.
        let stripe = "id,Created date (UTC),Amount,PaymentIntent ID,donor (metadata),message (metadata)\n\
                      ch_1,2026-12-01 20:10:33,15.00,pi_1,Ana,Allez\u{7} !\n\
                      ch_2,2026-12-01 20:11,8.00,pi_2,,\n";
        let e = read(stripe, eur, &Ask::default(), &paris).unwrap();
        assert_eq!(
            (e.donor.as_deref(), e.message.as_deref(), e.date.as_deref()),
            (Some("donor (metadata)"), Some("message (metadata)"), Some("Created date (UTC)"))
        );
        let expected = vec![
            Row {
                donor: Some("Ana".into()),
                message: Some("Allez  !".into()),
                paid_at: at("2026-12-01T20:10:33Z"),
                ..row("pi_1", 1500)
            },
            Row { paid_at: at("2026-12-01T20:11:00Z"), ..row("pi_2", 800) },
        ];
        assert_eq!(e.rows, expected);
        // HelloAsso's: the payer's first and last names, a French time on the asked clock.
        let helloasso = "Référence commande;Date;Montant;Prénom payeur;Nom payeur;Commentaire\n\
                         901;01/12/2026 21:10;20,00;inès;dupont;Bravo\n\
                         902;01/12/2026;5,00;Zoé;;\n\
                         903;hier;5,00;;Martin;\n";
        let e = read(helloasso, eur, &ask(&[("reference", "Référence commande")]), &paris).unwrap();
        let alone = read("Référence;Montant;Nom\nA;2;Inès Dupont\n", eur, &Ask::default(), &paris).unwrap();
        assert_eq!(alone.rows[0].donor.as_deref(), Some("Inès Dupont"));
        assert_eq!(e.donor.as_deref(), Some("Prénom payeur + Nom payeur"));
        let got: Vec<_> = e.rows.iter().map(|r| (r.donor.as_deref(), r.message.as_deref(), r.paid_at)).collect();
        assert_eq!(
            got,
            [
                (Some("inès D."), Some("Bravo"), at("2026-12-01T20:10:00Z")),
                (Some("Zoé"), None, None),
                (None, None, None)
            ]
        );
        // Columns of other names, named: the donor's, the message's, the time's.
        let own = "Ref;Somme;Qui;Mot;Quand\nA;2;Zoé;Bravo;01/12/2026 21:10\n";
        let e = read(
            own,
            eur,
            &ask(&[("reference", "Ref"), ("amount", "Somme"), ("donor", "Qui"), ("message", "Mot"), ("date", "Quand")]),
            &paris,
        )
        .unwrap();
        assert_eq!(
            (e.donor.as_deref(), e.message.as_deref(), e.date.as_deref(), &e.rows[0]),
            (
                Some("Qui"),
                Some("Mot"),
                Some("Quand"),
                &Row {
                    donor: Some("Zoé".into()),
                    message: Some("Bravo".into()),
                    paid_at: at("2026-12-01T20:10:00Z"),
                    ..row("A", 200)
                }
            )
        );
        let err = read(own, eur, &ask(&[("reference", "Ref"), ("amount", "Somme"), ("date", "Heure")]), &paris)
            .err()
            .unwrap();
        assert_eq!(
            (err.code, err.message.as_str()),
            ("export_columns", "the date column: the export has no column \"Heure\" (its columns are in `columns`)")
        );
        // RFC 3339 keeps its own offset; nonsense is no time.
        for (cell, expected) in [
            ("2026-07-01T10:00:00+02:00", at("2026-07-01T08:00:00Z")),
            ("2026-07-01 10:00", at("2026-07-01T08:00:00Z")),
            ("2026-03-29 02:30", at("2026-03-29T01:30:00Z")),
            ("01/07/2026 10:00:05", at("2026-07-01T08:00:05Z")),
            ("07/31/2026 10:00", None),
            ("", None),
        ] {
            assert_eq!(paid_at(cell, &paris), expected, "{cell:?}");
        }
    }
}
