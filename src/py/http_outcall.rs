//! The management canister's `http_request` (HTTPS outcalls): the Candid argument built from
//! what a codex passes, and the reply decoded for it.

use candid::{CandidType, Deserialize, Nat, Principal};

/// One HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, CandidType, Deserialize)]
pub struct HttpHeader {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// The request's method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, CandidType, Deserialize)]
pub enum HttpMethod {
    /// GET.
    #[serde(rename = "get")]
    Get,
    /// HEAD.
    #[serde(rename = "head")]
    Head,
    /// POST.
    #[serde(rename = "post")]
    Post,
}

/// The reply of an outcall (also what a transform function takes and returns).
#[derive(Debug, Clone, PartialEq, Eq, CandidType, Deserialize)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: Nat,
    /// Headers.
    pub headers: Vec<HttpHeader>,
    /// Body.
    pub body: Vec<u8>,
}

/// The argument of a transform function.
#[derive(Debug, Clone, CandidType, Deserialize)]
pub struct TransformArgs {
    /// The response to transform.
    pub response: HttpResponse,
    /// The context given with the request.
    pub context: Vec<u8>,
}

candid::define_function!(pub TransformFunc : (TransformArgs) -> (HttpResponse) query);

/// A transform: a query of some canister applied to the response on every replica.
#[derive(Debug, Clone, CandidType)]
pub struct TransformContext {
    /// The query.
    pub function: TransformFunc,
    /// Passed to it.
    pub context: Vec<u8>,
}

/// The argument of `http_request`.
#[derive(Debug, Clone, CandidType)]
pub struct HttpRequest {
    /// URL.
    pub url: String,
    /// Largest response accepted (2 MB when None).
    pub max_response_bytes: Option<u64>,
    /// Method.
    pub method: HttpMethod,
    /// Headers.
    pub headers: Vec<HttpHeader>,
    /// Body.
    pub body: Option<Vec<u8>>,
    /// Transform.
    pub transform: Option<TransformContext>,
    /// False: one replica makes the request instead of all.
    pub is_replicated: Option<bool>,
}

/// Why a request could not be built or a reply decoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OutcallError {
    /// Not a method the management canister knows.
    #[error("http_request method must be get, head or post, not {0:?}")]
    Method(String),
    /// The reply is not an `http_request_result`.
    #[error("not an http_request reply: {0}")]
    Reply(String),
}

impl HttpMethod {
    /// The method named `name` (`get`, `head`, `post`; any case).
    pub fn parse(name: &str) -> Result<HttpMethod, OutcallError> {
        match name.to_ascii_lowercase().as_str() {
            "get" => Ok(HttpMethod::Get),
            "head" => Ok(HttpMethod::Head),
            "post" => Ok(HttpMethod::Post),
            _ => Err(OutcallError::Method(name.to_owned())),
        }
    }
}

impl HttpRequest {
    /// With a transform given as the query's canister and method.
    pub fn transform_with(mut self, canister: Principal, method: String, context: Vec<u8>) -> Self {
        self.transform = Some(TransformContext { function: TransformFunc::new(canister, method), context });
        self
    }

    /// The Candid argument.
    pub fn encode(&self) -> Vec<u8> {
        candid::encode_one(self).expect("an http_request argument always encodes")
    }
}

/// Decodes the reply of `http_request`.
pub fn decode_response(bytes: &[u8]) -> Result<HttpResponse, OutcallError> {
    candid::decode_one(bytes).map_err(|e| OutcallError::Reply(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_encodes_and_a_response_decodes() {
        let req = HttpRequest {
            url: "https://example.com/x".into(),
            max_response_bytes: Some(1_000),
            method: HttpMethod::parse("GET").unwrap(),
            headers: vec![HttpHeader { name: "User-Agent".into(), value: "codexvm".into() }],
            body: None,
            transform: None,
            is_replicated: None,
        }
        .transform_with(Principal::management_canister(), "http_transform".into(), vec![1]);
        let bytes = req.encode();
        let text = crate::py::candid_text::decode(&bytes).unwrap();
        assert!(text.contains("\"https://example.com/x\"") && text.contains("func \"aaaaa-aa\".http_transform"), "{text}");
        let reply = candid::encode_one(HttpResponse { status: Nat::from(200u32), headers: vec![], body: b"hi".to_vec() }).unwrap();
        assert_eq!(decode_response(&reply).unwrap().body, b"hi");
        assert!(matches!(decode_response(b"DIDL\x00\x00"), Err(OutcallError::Reply(_))));
        assert_eq!(HttpMethod::parse("put"), Err(OutcallError::Method("put".into())));
    }
}
