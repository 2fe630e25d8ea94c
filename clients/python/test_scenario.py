"""The client scenario of issue 5, through the Python client generated from openapi/sachet.json.

Every call goes through the generated typed functions and models; every answer is checked
for its status, its parsed model and the headers the document promises. The generated
client raises on any status the document does not list for the operation.
"""

from __future__ import annotations

import datetime
import re
import uuid
from http import HTTPStatus
from io import BytesIO

from sachet_client.api.auth import login, logout
from sachet_client.api.content import read_content, replace_content, upload_content
from sachet_client.api.shares import create_share, lock_share, read_share
from sachet_client.api.users import create_user, read_user, whoami
from sachet_client.models import (
    Created,
    ErrorBody,
    LoginRequest,
    LogoutRequest,
    Message,
    NewShare,
    NewUser,
    PermissionCode,
    ReplaceContentBody,
    Share,
    ShareCreated,
    TokenAnswer,
    UploadContentBody,
    User,
    Whoami,
)
from sachet_client.types import File

from sachet_server import ADMIN_PASSWORD, ADMIN_USERNAME

ALL_PERMISSIONS = [
    PermissionCode.CREATE,
    PermissionCode.MODIFY,
    PermissionCode.DELETE,
    PermissionCode.LOCK,
    PermissionCode.LIST,
    PermissionCode.ADMIN,
    PermissionCode.READ,
]
USER_NAME = "alice"
USER_PASSWORD = "alice-password-for-the-scenario"
# Sent out of canonical order on purpose: the server answers in canonical order.
USER_PERMISSIONS = [PermissionCode.READ, PermissionCode.CREATE, PermissionCode.MODIFY]
FILE_NAME = "greeting.txt"
CONTENT = b"Hello from the generated Python client.\n" + bytes(range(32, 127)) + b"\n"
FIRST_CHUNK, SECOND_CHUNK = CONTENT[:50], CONTENT[50:]
SHARE_URL = re.compile(r"^/files/([0-9a-f-]{36})$")


def test_generated_client_runs_the_share_lifecycle(anonymous, client_for):
    admin = client_for(log_in(anonymous, ADMIN_USERNAME, ADMIN_PASSWORD))
    assert_whoami(admin, ADMIN_USERNAME, ALL_PERMISSIONS)

    create_the_user(admin)
    user_token = log_in(anonymous, USER_NAME, USER_PASSWORD)
    user = client_for(user_token)
    assert_whoami(user, USER_NAME, canonical(USER_PERMISSIONS))

    share_id = create_the_share(user)
    upload_in_two_chunks(user, share_id)
    assert_share(user, share_id, locked=False)

    download_whole(user, share_id)
    download_range(user, share_id)

    lock(admin, share_id)
    assert_share(user, share_id, locked=True)
    replacing_locked_content_is_a_typed_423(user, share_id)
    download_whole(user, share_id)

    log_out(user, user_token)
    old_token_is_a_typed_401(user)
    assert_whoami(admin, ADMIN_USERNAME, ALL_PERMISSIONS)


def log_in(anonymous, username: str, password: str) -> str:
    response = login.sync_detailed(
        client=anonymous, body=LoginRequest(username=username, password=password)
    )

    assert response.status_code == HTTPStatus.OK
    answer = response.parsed
    assert isinstance(answer, TokenAnswer)
    assert (answer.status, answer.message, answer.username) == ("success", "Logged in.", username)
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", answer.auth_token), answer.auth_token
    return answer.auth_token


def assert_whoami(client, username: str, permissions: list[PermissionCode]) -> None:
    response = whoami.sync_detailed(client=client)

    assert response.status_code == HTTPStatus.OK
    assert response.parsed == Whoami(username=username, permissions=permissions)


def create_the_user(admin) -> None:
    new_user = NewUser(username=USER_NAME, password=USER_PASSWORD, permissions=USER_PERMISSIONS)

    response = create_user.sync_detailed(client=admin, body=new_user)

    assert response.status_code == HTTPStatus.CREATED
    assert response.parsed == Created(status="success", url=f"/users/{USER_NAME}")
    assert response.headers["Location"] == f"/users/{USER_NAME}"

    response = read_user.sync_detailed(USER_NAME, client=admin)

    assert response.status_code == HTTPStatus.OK
    created = response.parsed
    assert isinstance(created, User)
    assert (created.username, created.permissions) == (USER_NAME, canonical(USER_PERMISSIONS))
    assert_recent_utc(created.register_date)


def create_the_share(user) -> uuid.UUID:
    response = create_share.sync_detailed(client=user, body=NewShare(file_name=FILE_NAME))

    assert response.status_code == HTTPStatus.CREATED
    created = response.parsed
    assert isinstance(created, ShareCreated)
    assert created.status == "success"
    match = SHARE_URL.fullmatch(created.url)
    assert match, created.url
    assert response.headers["Location"] == created.url
    share_id = uuid.UUID(match.group(1))
    assert share_id == created.share_id
    assert share_id.version == 4
    return share_id


def upload_in_two_chunks(user, share_id: uuid.UUID) -> None:
    upload_id = str(uuid.uuid4())

    first = upload_content.sync_detailed(
        share_id, client=user, body=upload_chunk(UploadContentBody, upload_id, 0, FIRST_CHUNK)
    )

    assert first.status_code == HTTPStatus.OK
    assert first.parsed == Message(status="success", message="Chunk uploaded.")
    # Until the last chunk arrives, the share has no visible content.
    assert read_share.sync_detailed(share_id, client=user).parsed.initialized is False

    second = upload_content.sync_detailed(
        share_id, client=user, body=upload_chunk(UploadContentBody, upload_id, 1, SECOND_CHUNK)
    )

    assert second.status_code == HTTPStatus.CREATED
    assert second.parsed == Message(status="success", message="Upload completed.")


def assert_share(user, share_id: uuid.UUID, *, locked: bool) -> None:
    response = read_share.sync_detailed(share_id, client=user)

    assert response.status_code == HTTPStatus.OK
    share = response.parsed
    assert isinstance(share, Share)
    assert share.share_id == share_id
    assert share.owner_name == USER_NAME
    assert share.file_name == FILE_NAME
    assert share.initialized is True
    assert share.locked is locked
    assert share.size == len(CONTENT)
    assert share.content_type == "text/plain"
    assert_recent_utc(share.create_date)


def download_whole(user, share_id: uuid.UUID) -> None:
    response = read_content.sync_detailed(share_id, client=user)

    assert response.status_code == HTTPStatus.OK
    assert isinstance(response.parsed, File)
    assert response.parsed.payload.read() == CONTENT
    assert response.headers["Content-Length"] == str(len(CONTENT))
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"].split(";")[0] == "text/plain"
    assert response.headers["Content-Disposition"] == f"inline; filename={FILE_NAME}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r'"[^"]+"', response.headers["ETag"]), response.headers["ETag"]
    assert "Content-Range" not in response.headers


def download_range(user, share_id: uuid.UUID) -> None:
    whole = read_content.sync_detailed(share_id, client=user)

    response = read_content.sync_detailed(share_id, client=user, range_="bytes=10-29")

    assert response.status_code == HTTPStatus.PARTIAL_CONTENT
    assert isinstance(response.parsed, File)
    assert response.parsed.payload.read() == CONTENT[10:30]
    assert response.headers["Content-Range"] == f"bytes 10-29/{len(CONTENT)}"
    assert response.headers["Content-Length"] == "20"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["ETag"] == whole.headers["ETag"]

    suffix = read_content.sync_detailed(share_id, client=user, range_="bytes=-7")

    assert suffix.status_code == HTTPStatus.PARTIAL_CONTENT
    assert suffix.parsed.payload.read() == CONTENT[-7:]
    first = len(CONTENT) - 7
    assert suffix.headers["Content-Range"] == f"bytes {first}-{len(CONTENT) - 1}/{len(CONTENT)}"


def lock(admin, share_id: uuid.UUID) -> None:
    response = lock_share.sync_detailed(share_id, client=admin)

    assert response.status_code == HTTPStatus.OK
    assert response.parsed == Message(status="success", message="Share has been locked.")


def replacing_locked_content_is_a_typed_423(user, share_id: uuid.UUID) -> None:
    body = upload_chunk(ReplaceContentBody, str(uuid.uuid4()), 0, b"replacement", total=1)

    response = replace_content.sync_detailed(share_id, client=user, body=body)

    assert response.status_code == HTTPStatus.LOCKED
    assert response.parsed == ErrorBody(status="fail", message="Share is locked.")


def log_out(user, token: str) -> None:
    response = logout.sync_detailed(client=user, body=LogoutRequest(token=token))

    assert response.status_code == HTTPStatus.OK
    assert response.parsed == Message(status="success", message="Token revoked.")


def old_token_is_a_typed_401(user) -> None:
    response = whoami.sync_detailed(client=user)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.parsed == ErrorBody(status="fail", message="Token has been revoked.")


def upload_chunk(model, upload_id: str, index: int, chunk: bytes, total: int = 2):
    upload = File(payload=BytesIO(chunk), file_name=FILE_NAME, mime_type="application/octet-stream")
    return model(dzuuid=upload_id, dzchunkindex=index, dztotalchunks=total, upload=upload)


def canonical(permissions: list[PermissionCode]) -> list[PermissionCode]:
    return [code for code in ALL_PERMISSIONS if code in permissions]


def assert_recent_utc(moment: datetime.datetime) -> None:
    assert moment.utcoffset() == datetime.timedelta(0), moment
    age = datetime.datetime.now(datetime.UTC) - moment
    assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=5), moment
