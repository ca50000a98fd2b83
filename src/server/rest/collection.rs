//! The routes every 2.x collection has (`/api/v2/<things>` and `/api/v2/<things>/<id>`), read
//! from the method and path once, with 2.x's answers to the methods a route does not take.

use crate::server::reply::{v2_error, HttpReply};

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
