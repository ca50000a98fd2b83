//! How a Flux query fails, and the 2.x answer to each failure.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FluxError {
    /// The request itself is malformed (body, dialect, query type).
    Request(String),
    /// The script does not parse or names something unknown (`compilation failed: …`).
    Compile(String),
    /// Valid Flux outside the subset influxlp runs.
    Unsupported(String),
    /// `from(bucket:)` names a bucket that does not exist or that the token cannot read.
    BucketNotFound(String),
    /// Evaluation failed (a type error, a missing column).
    Runtime(String),
}

impl FluxError {
    pub fn unsupported(what: impl std::fmt::Display) -> Self {
        FluxError::Unsupported(format!("{what} is not supported by influxlp"))
    }

    /// The message as the server writes it, in an error answer or an error table.
    pub fn message(&self) -> String {
        match self {
            FluxError::Request(message) => message.clone(),
            FluxError::Compile(message) => format!("compilation failed: {message}"),
            FluxError::Unsupported(message) => message.clone(),
            FluxError::BucketNotFound(name) => format!(
                "failed to initialize execute state: could not find bucket {}",
                crate::text::go_quote(name)
            ),
            FluxError::Runtime(message) => format!("runtime error: {message}"),
        }
    }

    /// The 2.x error code of the answer when nothing has been written yet.
    pub fn code(&self) -> &'static str {
        match self {
            FluxError::BucketNotFound(_) => "not found",
            _ => "invalid",
        }
    }
}

pub type FluxResult<T> = Result<T, FluxError>;
