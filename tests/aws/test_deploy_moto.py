"""The stacks deployed into moto: what was created, and (for types moto cannot create) the template.

moto's CloudFormation does not create AWS::Scheduler::Schedule, AWS::MSK::*, AWS::SecretsManager::Secret,
AWS::CodeDeploy::*, AWS::CodeBuild::Project or AWS::CodePipeline::Pipeline; test_given_moto_...
pins that list, and the schedule, secret and environment checks below read the template. moto
also keeps task definitions' commands and images but drops their environment and secrets
entries, so those are read from the template too.
"""
from __future__ import annotations

import boto3

from shared.crawlers import DECLARED
from tests.aws.cfn import REGION, load_template
from tests.aws.conftest import BOOTSTRAP, ENV, IMAGE_TAG

CRAWLERS = tuple(c.command for c in DECLARED)
#: each crawler's KST cron (shared/crawlers.py) in EventBridge Scheduler syntax; the conversion
#: itself is checked on hand-written cases in tests/test_generated.py
EXPECTED_CRONS = {c.logical: c.eventbridge_cron for c in DECLARED}
REGISTRY = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{ENV}"
REPO = f"{REGISTRY}/insertcoin"


def _container(family: str) -> dict:
    ecs = boto3.client("ecs", region_name=REGION)
    task = ecs.describe_task_definition(taskDefinition=f"insertcoin-{ENV}-{family}")["taskDefinition"]
    (container,) = task["containerDefinitions"]
    return container


def _template_container(stack: str, logical_id: str) -> dict:
    (container,) = load_template(stack)["Resources"][logical_id]["Properties"]["ContainerDefinitions"]
    return container


def test_given_moto_then_only_the_unsupported_resource_types_were_left_out(deployed):
    assert deployed.dropped == {
        "registry": [], "network": [],
        "data": ["AnalystDatabaseUrl", "AnalystPassword", "ApiKeys", "KafkaCluster", "KafkaConfiguration",
                 "KoreaeximAuthkey", "LoaderDatabaseUrl", "LoaderPassword", "MetabasePassword",
                 "MlDatabaseUrl", "MlPassword", "OpendartApiKey"],
        "app": ["MetabaseDeployApplication", "MetabaseDeploymentGroup"],
        "crawlers": [f"{c}CronSchedule" for c in sorted(EXPECTED_CRONS)],
        "pipeline": ["BuildProject", "Pipeline", "PipelineRole", "ReleaseProject"],
    }


def test_given_the_stacks_then_every_service_has_a_task_definition_with_its_command_and_image(deployed):
    for crawler in CRAWLERS:
        container = _container(crawler)
        assert container["name"] == crawler
        assert container["command"] == ["crawl", crawler]
        image = f"{REGISTRY}/insertcoin-browser:prod" if crawler == "fear-greed" else f"{REPO}:prod"
        assert container["image"] == image
        assert container["logConfiguration"]["logDriver"] == "awslogs"
    assert _container("loader")["command"] == ["load"]
    assert _container("loader")["image"] == f"{REPO}:{IMAGE_TAG}"
    assert _container("ml-worker")["command"] == [
        "schedule", "--cron", "30 18 * * 1-5", "--", "score", "--latest"]
    assert _container("ml-worker")["image"] == f"{REPO}:{IMAGE_TAG}"
    assert _container("migrate")["command"] == ["migrate"]
    assert _container("migrate")["image"] == f"{REPO}:prod"
    assert _container("metabase")["image"] == "metabase/metabase:v0.50.30"
    assert _container("metabase")["portMappings"][0]["containerPort"] == 3000
    assert _container("api")["command"] == ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "1"]
    assert _container("api")["image"] == f"{REPO}:{IMAGE_TAG}"
    assert _container("api")["portMappings"][0]["containerPort"] == 8000


def test_given_the_app_stack_then_the_api_is_behind_the_albs_port_8000_and_the_watchlist_runs_both_crons(deployed):
    ecs = boto3.client("ecs", region_name=REGION)
    (api,) = ecs.describe_services(cluster=f"insertcoin-{ENV}", services=["api"])["services"]
    assert api["taskDefinition"].endswith(f"task-definition/insertcoin-{ENV}-api:1")
    elb = boto3.client("elbv2", region_name=REGION)
    (lb,) = [b for b in elb.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"] == f"insertcoin-{ENV}-bi"]
    listeners = {x["Port"]: x for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert sorted(listeners) == [80, 8000, 8080]
    (group,) = elb.describe_target_groups(TargetGroupArns=[listeners[8000]["DefaultActions"][0]["TargetGroupArn"]])["TargetGroups"]
    assert (group["Port"], group["HealthCheckPath"]) == (8000, "/api/health")
    # moto's CloudFormation drops a service's LoadBalancers: read the template for that link.
    app = load_template("app")["Resources"]
    assert app["ApiService"]["Properties"]["LoadBalancers"] == [
        {"ContainerName": "api", "ContainerPort": 8000, "TargetGroupArn": {"Ref": "ApiTargetGroup"}}]
    task = ecs.describe_task_definition(taskDefinition=f"insertcoin-{ENV}-watchlist")["taskDefinition"]
    assert {c["name"]: c["command"] for c in task["containerDefinitions"]} == {
        "watchlist": ["schedule", "--cron", "40 8 * * 1-5", "--", "watchlist"],
        "watchlist-score": ["schedule", "--cron", "0 19 * * 1-5", "--", "watchlist", "--score"]}
    secrets = {s["Name"]: s["ValueFrom"] for s in
               load_template("app")["Resources"]["ApiTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Secrets"]}
    assert secrets == {n: {"Fn::ImportValue": {"Fn::Sub": "insertcoin-${EnvironmentName}-" + e}}
                       for n, e in (("ANALYST_DATABASE_URL", "AnalystDatabaseUrlArn"), ("API_KEYS", "ApiKeysArn"))}


def test_given_the_app_stack_then_loader_ml_worker_and_metabase_run_as_services(deployed):
    ecs = boto3.client("ecs", region_name=REGION)
    services = ecs.describe_services(cluster=f"insertcoin-{ENV}",
                                     services=["loader", "ml-worker", "metabase"])["services"]
    by_name = {s["serviceName"]: s for s in services}
    assert sorted(by_name) == ["loader", "metabase", "ml-worker"]
    assert by_name["loader"]["taskDefinition"].endswith(f"task-definition/insertcoin-{ENV}-loader:1")
    assert by_name["ml-worker"]["taskDefinition"].endswith(f"task-definition/insertcoin-{ENV}-ml-worker:1")
    # moto's CloudFormation ignores DeploymentController (reports ECS); read the template.
    app = load_template("app")["Resources"]
    assert app["MetabaseService"]["Properties"]["DeploymentController"] == {"Type": "CODE_DEPLOY"}
    assert app["LoaderService"]["Properties"]["DeploymentController"] == {"Type": "ECS"}
    assert app["LoaderService"]["Properties"]["LaunchType"] == "FARGATE"  # moto reports EC2


def test_given_the_task_definitions_then_secrets_come_from_secrets_manager_and_crawlers_get_no_database(deployed):
    for crawler in DECLARED:
        container = _template_container("crawlers", f"{crawler.logical}TaskDefinition")
        assert "DATABASE_URL" not in {e["Name"] for e in container["Environment"]}
        if crawler.command not in ("fx", "disclosure"):
            assert "Secrets" not in container
    fx = _template_container("crawlers", "FxTaskDefinition")
    assert fx["Secrets"] == [{"Name": "KOREAEXIM_AUTHKEY", "ValueFrom": {
        "Fn::ImportValue": {"Fn::Sub": "insertcoin-${EnvironmentName}-KoreaeximAuthkeyArn"}}}]
    disclosure = _template_container("crawlers", "DisclosureTaskDefinition")
    assert disclosure["Secrets"] == [{"Name": "OPENDART_API_KEY", "ValueFrom": {
        "Fn::ImportValue": {"Fn::Sub": "insertcoin-${EnvironmentName}-OpendartApiKeyArn"}}}]
    assert deployed.exports[f"insertcoin-{ENV}-OpendartApiKeyArn"]
    expected_urls = {"LoaderTaskDefinition": "LoaderDatabaseUrlArn",
                     "MlWorkerTaskDefinition": "MlDatabaseUrlArn"}
    for logical, export in expected_urls.items():
        secrets = {s["Name"]: s["ValueFrom"] for s in _template_container("app", logical)["Secrets"]}
        assert secrets == {"DATABASE_URL": {
            "Fn::ImportValue": {"Fn::Sub": "insertcoin-${EnvironmentName}-" + export}}}
    # the exports those imports resolve to are the secrets' ARNs
    assert deployed.exports[f"insertcoin-{ENV}-LoaderDatabaseUrlArn"] == deployed.secret_arns["LoaderDatabaseUrlArn"]


def test_given_the_kafka_clients_then_they_use_sasl_ssl_with_msk_iam():
    for stack, logical in [("crawlers", "NewsTaskDefinition"), ("app", "LoaderTaskDefinition")]:
        env = {e["Name"]: e["Value"] for e in _template_container(stack, logical)["Environment"]}
        assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["KAFKA_SASL_MECHANISM"] == "AWS_MSK_IAM"
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == {"Ref": "KafkaBootstrapServers"}
    auth = load_template("data")["Resources"]["KafkaCluster"]["Properties"]["ClientAuthentication"]
    assert auth == {"Sasl": {"Iam": {"Enabled": True}}, "Unauthenticated": {"Enabled": False}}
    assert BOOTSTRAP.endswith(":9098")  # the IAM listener the security group opens


def test_given_the_schedules_then_each_crawler_runs_its_task_on_its_kst_cron():
    template = load_template("crawlers")
    params, resources = template["Parameters"], template["Resources"]
    for logical, cron in EXPECTED_CRONS.items():
        schedule = resources[f"{logical}CronSchedule"]["Properties"]
        assert params[f"{logical}Schedule"]["Default"] == cron
        assert schedule["ScheduleExpression"] == {"Ref": f"{logical}Schedule"}
        assert schedule["ScheduleExpressionTimezone"] == "Asia/Seoul"
        ecs = schedule["Target"]["EcsParameters"]
        assert ecs["TaskDefinitionArn"] == {"Ref": f"{logical}TaskDefinition"}
        assert ecs["LaunchType"] == "FARGATE"
        assert schedule["Target"]["Arn"] == {
            "Fn::ImportValue": {"Fn::Sub": "insertcoin-${EnvironmentName}-ClusterArn"}}


def test_given_the_data_stack_then_postgres_is_multi_az_with_a_managed_password(deployed):
    rds = boto3.client("rds", region_name=REGION)
    (db,) = rds.describe_db_instances()["DBInstances"]
    assert (db["DBInstanceIdentifier"], db["Engine"], db["MultiAZ"]) == (f"insertcoin-{ENV}", "postgres", True)
    props = load_template("data")["Resources"]["Database"]["Properties"]
    assert props["ManageMasterUserPassword"] is True
    assert props["DBParameterGroupName"] == {"Ref": "DbParameterGroup"}


def test_given_the_stacks_then_each_service_logs_to_its_own_group(deployed):
    logs = boto3.client("logs", region_name=REGION)
    names = {g["logGroupName"] for g in logs.describe_log_groups(logGroupNamePrefix=f"/insertcoin/{ENV}/")["logGroups"]}
    expected = {f"/insertcoin/{ENV}/{s}" for s in (*CRAWLERS, "loader", "ml-worker", "migrate", "metabase", "codebuild",
                                                         "api", "watchlist")}
    assert names == expected
