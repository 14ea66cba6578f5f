//! gRPC on the HTTP port: the generated clients, reflection (list and call
//! by reflection alone, as grpcurl does), the standard health service,
//! gRPC-Web, and the OpenAPI document of the JSON form.

use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage};
use rampart::api::proto::rampart::auth::v1::GetMyUserRequest;
use rampart::api::proto::rampart::auth::v1::auth_service_client::AuthServiceClient;
use rampart::api::proto::rampart::user::v1::user_service_client::UserServiceClient;
use rampart::api::proto::rampart::user::v1::{
    AddMachineUserRequest, GetUserRequest, LockUserRequest, UserState,
};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use super::{DynamicCodec, first_instance};
use crate::cqrs::{Backend, start};
use crate::support::{Api, grpc_channel, grpc_request};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generated_clients_call_the_api_over_h2c_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::postgres().await] {
        let dir = tempfile::tempdir().unwrap();
        let server = start(dir.path(), &backend, &[]).await;
        let token = server.admin_token();
        let channel = grpc_channel(&server).await;
        let (_, org) = first_instance(&Api::new(&server)).await;

        let mut users = UserServiceClient::new(channel.clone());
        let added = users
            .add_machine_user(grpc_request(
                AddMachineUserRequest {
                    org_id: org.clone(),
                    username: "grpc-robot".into(),
                    name: "gRPC robot".into(),
                    description: String::new(),
                    access_token_type: 0,
                },
                &token,
            ))
            .await
            .expect("added")
            .into_inner();
        let id = added.user_id;
        users
            .lock_user(grpc_request(
                LockUserRequest {
                    user_id: id.clone(),
                },
                &token,
            ))
            .await
            .expect("locked");
        let user = users
            .get_user(grpc_request(
                GetUserRequest {
                    user_id: id.clone(),
                },
                &token,
            ))
            .await
            .expect("read its own write")
            .into_inner()
            .user
            .unwrap();
        assert_eq!(user.username, "grpc-robot");
        assert_eq!(user.state(), UserState::Locked);

        let missing = users
            .get_user(grpc_request(
                GetUserRequest {
                    user_id: "nobody".into(),
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), tonic::Code::NotFound, "{missing:?}");
        let anonymous = users
            .get_user(tonic::Request::new(GetUserRequest { user_id: id }))
            .await
            .unwrap_err();
        assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
        let invalid = users
            .get_user(grpc_request(
                GetUserRequest {
                    user_id: String::new(),
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(invalid.code(), tonic::Code::InvalidArgument);
        assert!(invalid.message().contains("user_id"), "{invalid:?}");
        let details = tonic_types::StatusExt::get_error_details(&invalid);
        let violations = details.bad_request().expect("a BadRequest detail");
        assert_eq!(violations.field_violations[0].field, "user_id");

        let me = AuthServiceClient::new(channel)
            .get_my_user(grpc_request(GetMyUserRequest {}, &token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(me.user.unwrap().username, "admin-api");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn services_are_listed_and_called_by_reflection_alone() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let channel = grpc_channel(&server).await;
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let ask = |message| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(message),
    };
    let requests = futures::stream::iter(vec![ask(MessageRequest::ListServices(String::new()))]);
    let mut answers = reflection
        .server_reflection_info(requests)
        .await
        .unwrap()
        .into_inner();
    let listed = answers.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = listed.message_response else {
        panic!("not a service list: {listed:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "rampart.auth.v1.AuthService",
        "rampart.event.v1.EventService",
        "rampart.instance.v1.InstanceService",
        "rampart.member.v1.MemberService",
        "rampart.org.v1.OrgService",
        "rampart.plugin.v1.PluginService",
        "rampart.projection.v1.ProjectionService",
        "rampart.user.v1.UserService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    drop(answers);
    // As grpcurl does: the file defining the service, then each file it
    // imports, by name, until nothing is missing.
    let mut protos = reflect(
        &mut reflection,
        MessageRequest::FileContainingSymbol("rampart.auth.v1.AuthService".into()),
    )
    .await;
    loop {
        let known: Vec<String> = protos.iter().filter_map(|f| f.name.clone()).collect();
        let missing: Vec<String> = protos
            .iter()
            .flat_map(|f| f.dependency.clone())
            .filter(|d| !known.contains(d))
            .collect();
        let Some(name) = missing.first() else { break };
        let more = reflect(
            &mut reflection,
            MessageRequest::FileByFilename(name.clone()),
        )
        .await;
        assert!(!more.is_empty(), "reflection serves {name}");
        protos.extend(
            more.into_iter()
                .filter(|f| !known.contains(f.name.as_ref().unwrap())),
        );
    }
    let mut pool = DescriptorPool::new();
    while !protos.is_empty() {
        let ready = protos
            .iter()
            .position(|f| {
                f.dependency
                    .iter()
                    .all(|d| pool.get_file_by_name(d).is_some())
            })
            .expect("every import was fetched");
        pool.add_file_descriptor_proto(protos.remove(ready))
            .expect("a valid file");
    }
    let method = pool
        .get_service_by_name("rampart.auth.v1.AuthService")
        .unwrap()
        .methods()
        .find(|m| m.name() == "GetMyUser")
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let answer = grpc
        .unary(
            grpc_request(DynamicMessage::new(method.input()), &server.admin_token()),
            "/rampart.auth.v1.AuthService/GetMyUser".parse().unwrap(),
            DynamicCodec(method.output()),
        )
        .await
        .expect("called with descriptors from reflection only")
        .into_inner();
    let json = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["user"]["username"], "admin-api", "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn health_grpc_web_and_the_openapi_document_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &Backend::Sqlite, &[]).await;
    let channel = grpc_channel(&server).await;
    let health = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        health.status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );

    // gRPC-Web over HTTP/1.1, as a browser sends it.
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/rampart.auth.v1.AuthService/GetMyUser",
            server.url
        ))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .bearer_auth(server.admin_token())
        .body(vec![0u8, 0, 0, 0, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/grpc-web"),
    );
    let body = answer.bytes().await.unwrap();
    assert_eq!(body[0], 0, "a message frame first");
    let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
    let message =
        rampart::api::proto::rampart::auth::v1::GetMyUserResponse::decode(&body[5..5 + length])
            .unwrap();
    assert_eq!(message.user.unwrap().username, "admin-api");
    let trailers = String::from_utf8_lossy(&body[5 + length + 5..]).to_lowercase();
    assert_eq!(body[5 + length], 0x80, "then the trailers frame");
    assert!(trailers.contains("grpc-status:0"), "{trailers}");

    let served = reqwest::get(format!("{}/openapi.json", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let checked_in = include_str!("../../../proto/openapi.json");
    assert_eq!(
        served, checked_in,
        "the served document is the checked-in one"
    );
    let document: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert!(document["paths"]["/rampart.user.v1.UserService/GetUser"]["post"].is_object());
}

/// The file descriptors one reflection request answers with.
async fn reflect(
    client: &mut ServerReflectionClient<tonic::transport::Channel>,
    message: MessageRequest,
) -> Vec<prost_types::FileDescriptorProto> {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(message),
    };
    let mut answers = client
        .server_reflection_info(futures::stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    match answer.message_response {
        Some(MessageResponse::FileDescriptorResponse(files)) => files
            .file_descriptor_proto
            .iter()
            .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap())
            .collect(),
        other => panic!("not file descriptors: {other:?}"),
    }
}
