// Where an AWS service is reached. In order: an explicit override (for ECS,
// ECS_BACKEND_HOST: a URL, or a host that gets https://), the SDK's
// AWS_ENDPOINT_URL_<SERVICE> (ECS, ECR, STS, SSM, SECRETS_MANAGER,
// CLOUDWATCH_LOGS), AWS_ENDPOINT_URL, then the regional endpoint
// https://<prefix>.<region>.amazonaws.com (".com.cn" in cn- regions).
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the two environment steps.
#pragma once

#include <string>
#include <string_view>

namespace ecsd::aws {

// service: "ecs", "ecr", "sts", "ssm", "secretsmanager", "logs".
std::string service_endpoint(std::string_view service, std::string_view region, std::string_view override_host = "");

// The environment variable the SDKs read for the service ("AWS_ENDPOINT_URL_ECS").
std::string endpoint_env_name(std::string_view service);

}  // namespace ecsd::aws
