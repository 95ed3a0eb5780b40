//! Server reflection (v1 and v1alpha) and health checks work without a
//! token, so tools such as grpcurl and load balancers can use them.

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::*;

/// The services every Stepwise server offers.
const SERVICES: &[&str] = &[
    "stepwise.v1.AccountService",
    "stepwise.v1.AdminService",
    "stepwise.v1.GoalService",
    "stepwise.v1.ProgressService",
    "grpc.health.v1.Health",
];

/// The same tests for each version of the reflection protocol, whose
/// generated types live in different modules.
macro_rules! reflection_tests {
    ($version:ident) => {
        mod $version {
            use prost::Message;
            use tonic_reflection::pb::$version::ServerReflectionRequest;
            use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
            use tonic_reflection::pb::$version::server_reflection_request::MessageRequest;
            use tonic_reflection::pb::$version::server_reflection_response::MessageResponse;

            use super::SERVICES;
            use crate::helpers::TestApp;

            /// Sends one reflection request, without a token.
            async fn ask(app: &TestApp, request: MessageRequest) -> MessageResponse {
                let mut client = ServerReflectionClient::new(app.channel().await);
                let request = ServerReflectionRequest {
                    host: String::new(),
                    message_request: Some(request),
                };
                let mut responses = client
                    .server_reflection_info(tokio_stream::iter([request]))
                    .await
                    .expect("reflection answers")
                    .into_inner();
                responses
                    .message()
                    .await
                    .expect("a response")
                    .expect("one response")
                    .message_response
                    .expect("a message response")
            }

            #[tokio::test]
            async fn lists_every_service() {
                let app = TestApp::spawn().await;

                let MessageResponse::ListServicesResponse(list) =
                    ask(&app, MessageRequest::ListServices(String::new())).await
                else {
                    panic!("expected a list of services");
                };

                let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
                for service in SERVICES {
                    assert!(names.contains(service), "{service} is listed in {names:?}");
                }
            }

            #[tokio::test]
            async fn describes_the_goal_message() {
                let app = TestApp::spawn().await;

                let request = MessageRequest::FileContainingSymbol("stepwise.v1.Goal".into());
                let MessageResponse::FileDescriptorResponse(files) = ask(&app, request).await
                else {
                    panic!("expected file descriptors");
                };

                let files: Vec<prost_types::FileDescriptorProto> = files
                    .file_descriptor_proto
                    .iter()
                    .map(|bytes| {
                        prost_types::FileDescriptorProto::decode(bytes.as_slice())
                            .expect("a file descriptor")
                    })
                    .collect();
                let goal_file = files
                    .iter()
                    .find(|f| f.message_type.iter().any(|m| m.name() == "Goal"))
                    .expect("a file declaring Goal");
                assert_eq!(goal_file.package(), "stepwise.v1");
            }
        }
    };
}

reflection_tests!(v1);
reflection_tests!(v1alpha);

/// The health of `service` ("" for the whole server), asked without a token.
async fn health_of(app: &TestApp, service: &str) -> Result<ServingStatus, tonic::Status> {
    let response = HealthClient::new(app.channel().await)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await?;
    Ok(response.into_inner().status())
}

/// Every service of Stepwise's own API, as the server's descriptors name
/// them.
fn stepwise_services() -> Vec<String> {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(stepwise::pb::FILE_DESCRIPTOR_SET)
        .expect("Stepwise's descriptors");
    set.file
        .iter()
        .flat_map(|file| {
            file.service
                .iter()
                .map(move |service| format!("{}.{}", file.package(), service.name()))
        })
        .collect()
}

#[tokio::test]
async fn the_server_and_each_of_its_services_report_serving() {
    let app = TestApp::spawn().await;

    let services = stepwise_services();
    assert!(services.len() > 10, "{services:?}");
    for service in std::iter::once(String::new()).chain(services) {
        let status = health_of(&app, &service).await.expect("health answers");
        assert_eq!(status, ServingStatus::Serving, "health of {service:?}");
    }
}

#[tokio::test]
async fn health_of_an_unknown_service_is_not_found() {
    let app = TestApp::spawn().await;

    let error = health_of(&app, "stepwise.v1.Nope")
        .await
        .expect_err("unknown service");

    assert_eq!(error.code(), tonic::Code::NotFound);
}
