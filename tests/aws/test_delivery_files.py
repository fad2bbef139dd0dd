"""buildspec.yml and appspec.yml parse and name only files, targets and names that exist."""
from __future__ import annotations

import re

import yaml

from shared import topics
from shared.crawlers import DECLARED
from tests.aws.cfn import ROOT, load_template

ECS_ROLLING = {"loader": "LoaderTaskDefinition", "ml-worker": "MlWorkerTaskDefinition", "api": "ApiTaskDefinition"}
CRAWLER_NAMES = tuple(c.command for c in DECLARED)
CONTAINERS = (*CRAWLER_NAMES, "loader", "ml-worker", "metabase", "api", "watchlist")


def _buildspec() -> dict:
    return yaml.safe_load((ROOT / "buildspec.yml").read_text())


def _commands(spec: dict) -> list[str]:
    return [c for phase in spec["phases"].values() for c in phase.get("commands", [])]


def _deploy_actions() -> dict[str, dict]:
    stages = load_template("pipeline")["Resources"]["Pipeline"]["Properties"]["Stages"]
    (deploy,) = [s for s in stages if s["Name"] == "Deploy"]
    return {a["Name"]: a for a in deploy["Actions"]}


def test_given_the_buildspec_then_it_runs_the_readme_test_command_and_builds_infra_dockerfile():
    commands = _commands(_buildspec())
    assert "make test" in commands
    assert "make test" in (ROOT / "README.md").read_text()
    assert re.search(r"^test:", (ROOT / "Makefile").read_text(), re.MULTILINE)
    builds = [c for c in commands if c.startswith("docker build")]
    assert [re.search(r"--target (\S+)", b).group(1) for b in builds] == ["app", "app-browser"]
    assert all("--file infra/Dockerfile" in b for b in builds)
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    assert "AS app\n" in dockerfile and "AS app-browser\n" in dockerfile
    assert (ROOT / "infra" / "Dockerfile").is_file()
    assert 'export IMAGE_TAG="$CODEBUILD_RESOLVED_SOURCE_VERSION"' in commands
    assert _buildspec()["env"]["exported-variables"] == ["IMAGE_TAG"]


def test_given_the_imagedefinitions_then_each_names_its_service_container_and_its_deploy_action_reads_it():
    spec = _buildspec()
    commands = _commands(spec)
    app = load_template("app")["Resources"]
    actions = _deploy_actions()
    for service, logical in ECS_ROLLING.items():
        filename = f"imagedefinitions-{service}.json"
        (writer,) = [c for c in commands if c.endswith(f"> {filename}")]
        assert f'"name":"{service}"' in writer
        (container,) = app[logical]["Properties"]["ContainerDefinitions"]
        assert container["Name"] == service
        assert filename in spec["artifacts"]["files"]
        (action,) = [a for a in actions.values() if a["Configuration"].get("FileName") == filename]
        assert action["ActionTypeId"]["Provider"] == "ECS"
        assert action["Configuration"]["ServiceName"] == service
        services = [r for r in app.values() if r["Type"] == "AWS::ECS::Service"
                    and r["Properties"]["ServiceName"] == service]
        assert services, f"no ECS service named {service} in app.yaml"


def test_given_the_metabase_blue_green_then_buildspec_appspec_pipeline_and_app_agree():
    spec = _buildspec()
    appspec = yaml.safe_load((ROOT / "appspec.yml").read_text())
    (resource,) = appspec["Resources"]
    target = resource["TargetService"]
    assert target["Type"] == "AWS::ECS::Service"
    assert target["Properties"]["TaskDefinition"] == "<TASK_DEFINITION>"
    lb = target["Properties"]["LoadBalancerInfo"]
    app = load_template("app")["Resources"]
    (container,) = app["MetabaseTaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert (lb["ContainerName"], lb["ContainerPort"]) == (container["Name"], container["PortMappings"][0]["ContainerPort"])
    assert app["MetabaseService"]["Properties"]["LoadBalancers"][0]["ContainerName"] == lb["ContainerName"]

    action = _deploy_actions()["Metabase"]
    config = action["Configuration"]
    assert action["ActionTypeId"]["Provider"] == "CodeDeployToECS"
    assert config["AppSpecTemplatePath"] == "appspec.yml"
    for path in (config["AppSpecTemplatePath"], config["TaskDefinitionTemplatePath"], "imageDetail.json"):
        assert path in spec["artifacts"]["files"]
    assert config["Image1ContainerName"] == "IMAGE1_NAME"
    assert '"<IMAGE1_NAME>"' in "\n".join(_commands(spec))
    assert config["ApplicationName"] == app["MetabaseDeployApplication"]["Properties"]["ApplicationName"]
    assert config["DeploymentGroupName"] == app["MetabaseDeploymentGroup"]["Properties"]["DeploymentGroupName"]


def test_given_the_release_build_then_its_inline_buildspec_parses_and_uses_real_names():
    project = load_template("pipeline")["Resources"]["ReleaseProject"]["Properties"]
    release = yaml.safe_load(project["Source"]["BuildSpec"])
    script = "\n".join(_commands(release))
    assert "insertcoin topics --replication-factor 2" in script
    assert callable(topics.all_topics)
    assert "KAFKA_SECURITY_PROTOCOL=SASL_SSL KAFKA_SASL_MECHANISM=AWS_MSK_IAM" in script
    env = {v["Name"]: v["Value"] for v in project["Environment"]["EnvironmentVariables"]}
    assert env["MIGRATE_FAMILY"] == load_template("app")["Resources"]["MigrateTaskDefinition"]["Properties"]["Family"]


def test_given_compose_then_every_ecs_container_is_a_compose_service_on_the_same_image():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    missing = [c for c in CONTAINERS if c not in services]
    assert missing == []
    crawlers = load_template("crawlers")["Resources"]
    for name in CRAWLER_NAMES:
        (container,) = [r["Properties"]["ContainerDefinitions"][0] for r in crawlers.values()
                        if r["Type"] == "AWS::ECS::TaskDefinition"
                        and r["Properties"]["ContainerDefinitions"][0]["Name"] == name]
        repository = container["Image"]["Fn::Sub"][1]["Repository"]["Fn::ImportValue"]["Fn::Sub"]
        compose_image = services[name]["image"].split(":")[0]  # insertcoin or insertcoin-browser
        expected = "BrowserRepositoryUri" if compose_image == "insertcoin-browser" else "RepositoryUri"
        assert compose_image in ("insertcoin", "insertcoin-browser")
        assert repository.endswith("-" + expected), f"{name}: compose {compose_image}, ECS {repository}"
    for name in ("loader", "ml-worker"):
        assert services[name]["image"].split(":")[0] == "insertcoin"
    registry = load_template("registry")["Resources"]
    assert {r["Properties"]["RepositoryName"]["Fn::Sub"].split("/")[-1] for r in registry.values()} == {
        "insertcoin", "insertcoin-browser"}
    app = load_template("app")
    assert services["metabase"]["image"] == app["Parameters"]["MetabaseImage"]["Default"]
