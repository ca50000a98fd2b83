//! The routes every 2.x collection has (`/api/v2/<things>` and `/api/v2/<things>/<id>`), read
//! from the method and path once, with 2.x's answers to the methods a route does not take.

use super::caller::Caller;
use crate::server::query::{reply_json, QueryContext};
use crate::server::reply::{v2_error, HttpReply};
use crate::text::go_json::Json;

/// A handler's answer: the reply, or the error reply that ends the request early.
pub type Handled = Result<HttpReply, HttpReply>;

/// The handlers of a 2.x collection, one per route; [`serve`] reads the route and calls one.
pub trait Collection {
    /// The collection's path, `/api/v2/<things>`.
    const PREFIX: &'static str;

    fn list(ctx: &QueryContext, caller: &Caller, params: &[(String, String)]) -> Handled;
    fn create(ctx: &QueryContext, caller: &Caller, body: &[u8]) -> Handled;
    fn find(ctx: &QueryContext, caller: &Caller, id: &str) -> Handled;
    fn update(ctx: &QueryContext, caller: &Caller, id: &str, body: &[u8]) -> Handled;
    fn delete(ctx: &QueryContext, caller: &Caller, id: &str) -> Handled;

    /// `<method> /api/v2/<things>/<id>/<below>`: the collection's own sub-resources; none but
    /// those it names.
    fn below(
        _ctx: &QueryContext,
        _caller: &Caller,
        _method: &str,
        _id: &str,
        _below: &str,
        _body: &[u8],
    ) -> Handled {
        Err(path_not_found())
    }
}

/// A list's answer: the items under `key`, beside the collection's own link.
pub fn listed<C: Collection>(key: &str, items: Vec<Json>) -> Handled {
    let body = Json::object([
        ("links", Json::object([("self", Json::str(C::PREFIX))])),
        (key, Json::Array(items)),
    ]);
    Ok(reply_json(200, &body, false))
}

/// Answers a request to collection `C`; `path` is the full request path.
pub fn serve<C: Collection>(
    ctx: &QueryContext,
    caller: &Caller,
    method: &str,
    path: &str,
    params: &[(String, String)],
    body: &[u8],
) -> HttpReply {
    let handled = match collection_route(C::PREFIX, method, path) {
        Ok(CollectionRoute::List) => C::list(ctx, caller, params),
        Ok(CollectionRoute::Create) => C::create(ctx, caller, body),
        Ok(CollectionRoute::Find(id)) => C::find(ctx, caller, id),
        Ok(CollectionRoute::Update(id)) => C::update(ctx, caller, id, body),
        Ok(CollectionRoute::Delete(id)) => C::delete(ctx, caller, id),
        Ok(CollectionRoute::Below { id, below }) => C::below(ctx, caller, method, id, below, body),
        Err(reply) => Err(reply),
    };
    handled.unwrap_or_else(|reply| reply)
}

/// What a request to a collection asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum CollectionRoute<'a> {
    List,
    Create,
    Find(&'a str),
    Update(&'a str),
    Delete(&'a str),
    /// `/api/v2/<things>/<id>/<below>`: a collection's own sub-resources (a user's password);
    /// the collection answers those it has and `path not found` to the rest.
    Below {
        id: &'a str,
        below: &'a str,
    },
}

/// Reads `method` and `path` (the full request path, under `prefix`).
pub fn collection_route<'a>(
    prefix: &str,
    method: &str,
    path: &'a str,
) -> Result<CollectionRoute<'a>, HttpReply> {
    let rest = path.strip_prefix(prefix).unwrap_or("");
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    match (method, rest.split_once('/')) {
        ("GET", None) if rest.is_empty() => Ok(CollectionRoute::List),
        ("POST", None) if rest.is_empty() => Ok(CollectionRoute::Create),
        (_, None) if rest.is_empty() => Err(v2_error("method not allowed", "allow: GET, POST")),
        ("GET", None) => Ok(CollectionRoute::Find(rest)),
        ("PATCH", None) => Ok(CollectionRoute::Update(rest)),
        ("DELETE", None) => Ok(CollectionRoute::Delete(rest)),
        (_, None) => Err(v2_error("method not allowed", "allow: DELETE, GET, PATCH")),
        (_, Some((id, below))) => Ok(CollectionRoute::Below { id, below }),
    }
}

/// 2.x's answer to a path below an item that the collection does not have.
pub fn path_not_found() -> HttpReply {
    v2_error("not found", "path not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERS: &str = "/api/v2/users";

    #[test]
    fn methods_and_paths_map_to_routes() {
        let route = |method, path| collection_route(USERS, method, path).map_err(|r| r.status);
        assert_eq!(route("GET", USERS), Ok(CollectionRoute::List));
        assert_eq!(route("POST", "/api/v2/users/"), Ok(CollectionRoute::Create));
        assert_eq!(route("PUT", USERS), Err(405));
        assert_eq!(
            route("GET", "/api/v2/users/0a"),
            Ok(CollectionRoute::Find("0a"))
        );
        assert_eq!(
            route("PATCH", "/api/v2/users/0a"),
            Ok(CollectionRoute::Update("0a"))
        );
        assert_eq!(
            route("DELETE", "/api/v2/users/0a"),
            Ok(CollectionRoute::Delete("0a"))
        );
        assert_eq!(route("POST", "/api/v2/users/0a"), Err(405));
        assert_eq!(
            route("POST", "/api/v2/users/0a/password"),
            Ok(CollectionRoute::Below {
                id: "0a",
                below: "password"
            })
        );
    }
}
