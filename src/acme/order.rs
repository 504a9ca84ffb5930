//! One certificate ordered for one domain, the steps of RFC 8555 in their order: the order
//! placed, each authorization's challenge answered and announced, the CA's verdict awaited,
//! a new key and its signing request sent, the certificate fetched. Each step is logged, and
//! a failure names the step and the CA's reason. Must not store or serve the result: the
//! caller does.

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use instant_acme::{
    Account, AuthorizationStatus, ChallengeType, Identifier, NewOrder, OrderStatus, RetryPolicy,
};

use crate::config::AcmeChallenge;
use crate::tls::{self, CertStore};

/// How long the CA may take to validate and then to issue: pebble and Let's Encrypt take
/// seconds; past this the attempt counts as failed and is tried again later.
const CA_PATIENCE: Duration = Duration::from_secs(90);

/// Why an order failed, with the step it failed at.
#[derive(Debug, thiserror::Error)]
#[error("{step}: {reason}")]
pub struct OrderError {
    pub step: &'static str,
    pub reason: String,
    /// The CA no longer knows the account (a test CA restarted, an account deactivated): the
    /// next attempt makes a new one.
    pub account_gone: bool,
}

impl OrderError {
    fn at(step: &'static str) -> impl Fn(instant_acme::Error) -> OrderError {
        move |e| OrderError {
            step,
            account_gone: matches!(&e, instant_acme::Error::Api(p)
                if p.r#type.as_deref() == Some("urn:ietf:params:acme:error:accountDoesNotExist")),
            reason: e.to_string(),
        }
    }

    fn new(step: &'static str, reason: impl Into<String>) -> OrderError {
        OrderError {
            step,
            reason: reason.into(),
            account_gone: false,
        }
    }
}

/// Where the answers to the CA's challenges are published while an order runs: HTTP-01
/// tokens for the plain listener, TLS-ALPN-01 certificates for the HTTPS listener.
pub struct Answers {
    pub http01: DashMap<String, String>,
    pub certs: Arc<CertStore>,
    /// Gateways sharing Redis publish HTTP-01 tokens there too, so that whichever gateway the
    /// CA's validation reaches can answer.
    pub shared: Option<super::shared::Shared>,
}

/// Takes a challenge's answer down when the order is over, however it ends.
struct Published<'a> {
    answers: &'a Answers,
    domain: String,
    tokens: Vec<String>,
}

impl Drop for Published<'_> {
    fn drop(&mut self) {
        for token in &self.tokens {
            self.answers.http01.remove(token);
        }
        self.answers.certs.set_challenge(&self.domain, None);
    }
}

/// Orders a certificate for `domain`: its private key and chain, as PEM.
pub async fn order(
    account: &Account,
    domain: &str,
    challenge: AcmeChallenge,
    answers: &Answers,
) -> Result<String, OrderError> {
    let identifiers = [Identifier::Dns(domain.to_string())];
    let mut order = account
        .new_order(&NewOrder::new(&identifiers))
        .await
        .map_err(OrderError::at("placing the order"))?;
    tracing::info!(domain, order = order.url(), "ACME: order placed");
    let mut published = Published {
        answers,
        domain: domain.to_string(),
        tokens: Vec::new(),
    };
    let wanted = match challenge {
        AcmeChallenge::Http01 => ChallengeType::Http01,
        AcmeChallenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
    };
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz.map_err(OrderError::at("reading an authorization"))?;
        match authz.status {
            AuthorizationStatus::Valid => continue,
            AuthorizationStatus::Pending => {}
            other => {
                return Err(OrderError::new(
                    "reading an authorization",
                    format!("the CA says {other:?}"),
                ))
            }
        }
        let mut ch = authz.challenge(wanted.clone()).ok_or_else(|| {
            OrderError::new(
                "choosing a challenge",
                format!("the CA offers no {wanted:?}"),
            )
        })?;
        let key_auth = ch.key_authorization();
        match challenge {
            AcmeChallenge::Http01 => {
                let token = ch.token.clone();
                answers
                    .http01
                    .insert(token.clone(), key_auth.as_str().to_string());
                if let Some(shared) = &answers.shared {
                    if let Err(e) = shared.put_token(&token, key_auth.as_str()).await {
                        tracing::warn!(domain, error = %e, "ACME: the challenge token could not be shared through Redis; only this gateway answers it");
                    }
                }
                published.tokens.push(token);
            }
            AcmeChallenge::TlsAlpn01 => {
                let digest = key_auth.digest();
                let answer = alpn_answer(domain, digest.as_ref())
                    .map_err(|e| OrderError::new("making the TLS-ALPN-01 answer", e.to_string()))?;
                answers.certs.set_challenge(domain, Some(answer));
                if let Some(shared) = &answers.shared {
                    if let Err(e) = shared.put_alpn(domain, digest.as_ref()).await {
                        tracing::warn!(domain, error = %e, "ACME: the TLS-ALPN-01 answer could not be shared through Redis; only this gateway answers it");
                    }
                }
            }
        }
        ch.set_ready()
            .await
            .map_err(OrderError::at("announcing the challenge"))?;
        tracing::info!(domain, challenge = ?wanted, "ACME: challenge answered; the CA is validating");
    }
    let retries = RetryPolicy::new()
        .initial_delay(Duration::from_millis(250))
        .timeout(CA_PATIENCE);
    let status = order
        .poll_ready(&retries)
        .await
        .map_err(OrderError::at("waiting for validation"))?;
    if status != OrderStatus::Ready {
        let why = refusal(&mut order).await;
        return Err(OrderError::new(
            "validation",
            format!("the CA did not accept the challenge ({status:?}): {why}"),
        ));
    }
    drop(published);
    tracing::info!(
        domain,
        "ACME: domain validated; sending the signing request"
    );
    let key =
        rcgen::KeyPair::generate().map_err(|e| OrderError::new("making a key", e.to_string()))?;
    let csr = rcgen::CertificateParams::new(vec![domain.to_string()])
        .and_then(|params| params.serialize_request(&key))
        .map_err(|e| OrderError::new("making the signing request", e.to_string()))?;
    order
        .finalize_csr(csr.der())
        .await
        .map_err(OrderError::at("finalizing the order"))?;
    let chain = order
        .poll_certificate(&retries)
        .await
        .map_err(OrderError::at("fetching the certificate"))?;
    tracing::info!(domain, "ACME: certificate issued");
    Ok(format!("{}{chain}", key.serialize_pem()))
}

/// What the CA said about the challenges of an order it did not make ready.
async fn refusal(order: &mut instant_acme::Order) -> String {
    let mut reasons = Vec::new();
    let mut authorizations = order.authorizations();
    while let Some(Ok(authz)) = authorizations.next().await {
        for ch in &authz.challenges {
            if let Some(problem) = &ch.error {
                reasons.push(problem.to_string());
            }
        }
    }
    if reasons.is_empty() {
        "no reason given".into()
    } else {
        reasons.join("; ")
    }
}

/// Why the TLS-ALPN-01 answer could not be made.
#[derive(Debug, thiserror::Error)]
pub(super) enum AnswerError {
    #[error("cannot make the certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot use its key: {0}")]
    Key(#[from] rustls::Error),
}

/// The self-signed certificate that answers TLS-ALPN-01 (RFC 8737): the domain as its only
/// name and the key authorization's digest in the acmeIdentifier extension.
pub(super) fn alpn_answer(
    domain: &str,
    digest: &[u8],
) -> Result<Arc<rustls::sign::CertifiedKey>, AnswerError> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec![domain.to_string()])?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let cert = params.self_signed(&key)?;
    let key = rustls_pki_types::PrivatePkcs8KeyDer::from(key.serialize_der());
    Ok(tls::challenge_answer(cert.der().clone(), key.into())?)
}
