//! InfluxDB 2.x's REST APIs beside the write path: `/api/v2/buckets` and `/api/v2/delete` over
//! the store's databases and retention policies (a bucket is a database/policy pair), and the
//! identity routes (`orgs`, `users`, `me`, `authorizations`, `setup`, `signin`/`signout`) over
//! the server's `identity` state.

mod authorizations;
mod buckets;
mod caller;
mod collection;
mod delete;
pub mod delete_predicate;
mod orgs;
mod registry;
mod setup;
mod signin;
mod users;

#[cfg(test)]
pub(crate) use orgs::DEFAULT_ORG;

/// `/api/v2/orgs`, `/api/v2/users` and `/api/v2/authorizations` (and `/<id>` below each):
/// `handle_collection::<Orgs>(...)`; `path` is the full request path.
pub use authorizations::Authorizations;
/// `/api/v2/buckets` and `/api/v2/buckets/...`; `path` is the full request path.
pub use buckets::serve as handle_buckets;
pub use collection::serve as handle_collection;
/// `POST /api/v2/delete`.
pub use delete::serve as handle_delete;
pub use orgs::Orgs;
pub use users::Users;

/// Who calls an identity route.
pub use caller::Caller;
/// `/api/v2/setup`.
pub use setup::serve as handle_setup;
/// `/api/v2/signin` and `/api/v2/signout`.
pub use signin::serve as handle_signin;
/// `/api/v2/me[/password]`.
pub use users::serve_me as handle_me;
