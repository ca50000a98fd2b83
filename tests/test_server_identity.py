"""Who may do what, through the real clients: 2.x onboarding, tokens, users and organizations
with influxdb-client, and 1.x user administration with the influxdb client."""

import influxlp
import pytest
from influxdb import InfluxDBClient as V1Client
from influxdb.exceptions import InfluxDBClientError
from influxdb_client import (
    InfluxDBClient,
    OnboardingRequest,
    Permission,
    PermissionResource,
    SetupService,
)
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException


@pytest.fixture
def onboarded():
    """A fresh 2.x server onboarded as influxdb-client-python's CI sets InfluxDB up."""
    with influxlp.Server(flavor="v2") as server:
        with InfluxDBClient(url=server.url, token="") as client:
            setup = SetupService(client.api_client)
            assert setup.get_setup().allowed is True
            done = setup.post_setup(
                OnboardingRequest(
                    username="my-user",
                    password="my-password",
                    org="my-org",
                    bucket="my-bucket",
                    token="my-token",
                )
            )
            assert (done.user.name, done.org.name, done.bucket.name) == (
                "my-user",
                "my-org",
                "my-bucket",
            )
            assert done.auth.token == "my-token"
            assert setup.get_setup().allowed is False
            with pytest.raises(ApiException) as again:
                setup.post_setup(
                    OnboardingRequest(username="u", password="password", org="o", bucket="b")
                )
            assert again.value.status == 422
        yield server


def test_a_fresh_v2_server_accepts_writes_until_onboarded():
    with influxlp.Server(flavor="v2", databases=["db"]) as server:
        with InfluxDBClient(url=server.url, token="anything", org="influxlp") as client:
            client.write_api(write_options=SYNCHRONOUS).write("db", record="m v=1")
            assert client.ready().status == "ready"
        assert server.store.count() == 1


def test_tokens_carry_exactly_their_permissions(onboarded):
    with InfluxDBClient(url=onboarded.url, token="my-token", org="my-org") as client:
        org = client.organizations_api().find_organizations(org="my-org")[0]
        bucket = client.buckets_api().find_bucket_by_name("my-bucket")
        read = Permission(
            action="read",
            resource=PermissionResource(type="buckets", id=bucket.id, org_id=org.id),
        )
        write_all = Permission(
            action="write", resource=PermissionResource(type="buckets", org_id=org.id)
        )
        auths = client.authorizations_api()
        reader = auths.create_authorization(org_id=org.id, permissions=[read])
        writer = auths.create_authorization(org_id=org.id, permissions=[write_all])
        assert reader.permissions[0].resource.name == "my-bucket"
        assert reader.user == "my-user"
        tokens = {a.token for a in auths.find_authorizations()}
        assert {"my-token", reader.token, writer.token} <= tokens
        assert len(auths.find_authorizations_by_user_name("my-user")) == 3
        assert len(auths.find_authorizations_by_org_id(org.id)) == 3

    with InfluxDBClient(url=onboarded.url, token=reader.token, org="my-org") as client:
        with pytest.raises(ApiException) as refused:
            client.write_api(write_options=SYNCHRONOUS).write("my-bucket", record="m v=1")
        assert refused.value.status == 403
        assert "insufficient permissions for write" in refused.value.body
    with InfluxDBClient(url=onboarded.url, token=writer.token, org="my-org") as client:
        client.write_api(write_options=SYNCHRONOUS).write("my-bucket", record="m v=1")
    assert onboarded.store.count(db="my-bucket") == 1

    with InfluxDBClient(url=onboarded.url, token="my-token", org="my-org") as client:
        auths = client.authorizations_api()
        writer.status = "inactive"
        assert auths.update_authorization(writer).status == "inactive"
        auths.delete_authorization(reader)
        assert reader.id not in {a.id for a in auths.find_authorizations()}
    for token in (writer.token, reader.token):
        with InfluxDBClient(url=onboarded.url, token=token, org="my-org") as client:
            with pytest.raises(ApiException):
                client.write_api(write_options=SYNCHRONOUS).write("my-bucket", record="m v=2")
    assert onboarded.store.count(db="my-bucket") == 1


def test_users_and_organizations(onboarded):
    with InfluxDBClient(url=onboarded.url, token="my-token", org="my-org") as client:
        users = client.users_api()
        assert users.me().name == "my-user"
        bob = users.create_user(name="bob")
        assert bob.status == "active"
        assert "bob" in {u.name for u in users.find_users().users}
        bob.name = "robert"
        assert users.update_user(bob).name == "robert"
        users.update_password(bob, "robert-password")
        users.delete_user(bob)
        assert "robert" not in {u.name for u in users.find_users().users}

        orgs = client.organizations_api()
        assert [o.name for o in orgs.find_organizations(org="my-org")] == ["my-org"]
        with pytest.raises(ApiException) as unknown:
            orgs.find_organizations(org="no-such-org")
        assert unknown.value.status == 404
        acme = orgs.create_organization(name="acme")
        assert orgs.find_organization(acme.id).name == "acme"
        acme.description = "rockets"
        assert orgs.update_organization(acme).description == "rockets"
        orgs.delete_organization(acme.id)
        assert "acme" not in {o.name for o in orgs.find_organizations()}


def test_v1_user_administration_with_the_influxdb_client():
    with influxlp.Server(flavor="v1", users={"admin": "secret"}, databases=["db"]) as server:
        admin = V1Client(host=server.host, port=server.port, username="admin", password="secret")
        admin.create_user("bob", "bob-pw")
        admin.grant_privilege("read", "db", "bob")
        assert {"user": "bob", "admin": False} in admin.get_list_users()
        assert admin.get_list_privileges("bob") == [{"database": "db", "privilege": "READ"}]
        bob = V1Client(
            host=server.host, port=server.port, username="bob", password="bob-pw", database="db"
        )
        assert list(bob.query("SELECT * FROM m").get_points()) == []
        with pytest.raises(InfluxDBClientError) as refused:
            bob.write_points([{"measurement": "m", "fields": {"v": 1}}])
        assert refused.value.code == 403
        admin.grant_privilege("all", "db", "bob")
        bob.write_points([{"measurement": "m", "fields": {"v": 1}}])
        admin.revoke_privilege("write", "db", "bob")
        assert admin.get_list_privileges("bob") == [{"database": "db", "privilege": "READ"}]
        admin.grant_admin_privileges("bob")
        assert {"user": "bob", "admin": True} in admin.get_list_users()
        admin.revoke_admin_privileges("bob")
        admin.set_user_password("bob", "new-pw")
        with pytest.raises(InfluxDBClientError) as old:
            bob.query("SHOW DATABASES")
        assert old.value.code == 401
        admin.drop_user("bob")
        assert admin.get_list_users() == [{"user": "admin", "admin": True}]
        with pytest.raises(InfluxDBClientError, match="user not found"):
            admin.drop_user("bob")
