"""Deploy every stack into moto once per module (offline, a few seconds).

moto's CloudFormation cannot create some of our resource types; those are dropped (with whatever
refers to them) by ``moto_subset`` and checked on the template instead. The data stack's dropped
outputs (MSK cluster ARN, Secrets Manager ARNs, the RDS managed secret) are replaced by real moto
resources created through the MSK and Secrets Manager APIs, exported under the same names, so the
app and crawler stacks import exactly what they would import in AWS.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation.parsing import get_model_map

from tests.aws.cfn import REGION, load_template, moto_subset

ENV = "prod"
IMAGE_TAG = "0123456789abcdef0123456789abcdef01234567"
BOOTSTRAP = "b-1.insertcoin.abc123.c2.kafka.ap-northeast-2.amazonaws.com:9098"
PARAMETERS = {
    "network": {"BiAllowedCidr": "203.0.113.0/24"},
    "app": {"ImageTag": IMAGE_TAG, "KafkaBootstrapServers": BOOTSTRAP, "ApiAllowedCidr": "198.51.100.0/24"},
    "crawlers": {"KafkaBootstrapServers": BOOTSTRAP},
    "pipeline": {"KafkaBootstrapServers": BOOTSTRAP,
                 "ConnectionArn": "arn:aws:codeconnections:ap-northeast-2:123456789012:connection/0a1b2c3d"},
}
#: moto's RDS does not model the managed master secret (GetAtt MasterUserSecret.SecretArn).
UNRESOLVABLE_OUTPUTS = frozenset({"MasterSecretArn"})
#: data-stack secrets: export suffix -> secret name, as data.yaml names them.
DATA_SECRETS = {
    "LoaderPasswordArn": f"insertcoin/{ENV}/db/insertcoin_loader/password",
    "LoaderDatabaseUrlArn": f"insertcoin/{ENV}/db/insertcoin_loader/url",
    "MlPasswordArn": f"insertcoin/{ENV}/db/insertcoin_ml/password",
    "MlDatabaseUrlArn": f"insertcoin/{ENV}/db/insertcoin_ml/url",
    "AnalystPasswordArn": f"insertcoin/{ENV}/db/insertcoin_analyst/password",
    "AnalystDatabaseUrlArn": f"insertcoin/{ENV}/db/insertcoin_analyst/url",
    "MetabasePasswordArn": f"insertcoin/{ENV}/db/metabase/password",
    "ApiKeysArn": f"insertcoin/{ENV}/api-keys",
    "KoreaeximAuthkeyArn": f"insertcoin/{ENV}/koreaexim-authkey",
    "OpendartApiKeyArn": f"insertcoin/{ENV}/opendart-api-key",
    "MasterSecretArn": f"rds!db-insertcoin-{ENV}",
}


@dataclass
class Deployment:
    """What the mock account holds after the stacks went in."""

    dropped: dict[str, list[str]] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    secret_arns: dict[str, str] = field(default_factory=dict)


def _create(cf, name: str, template: dict, parameters: dict[str, str]) -> None:
    cf.create_stack(StackName=f"insertcoin-{ENV}-{name}", TemplateBody=json.dumps(template),
                    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
                    Capabilities=["CAPABILITY_NAMED_IAM"])
    status = cf.describe_stacks(StackName=f"insertcoin-{ENV}-{name}")["Stacks"][0]["StackStatus"]
    if status != "CREATE_COMPLETE":
        raise AssertionError(f"stack {name} ended in {status}")


def _stand_in_for_data_outputs(cf, deployment: Deployment) -> None:
    """Create the MSK cluster and secrets through their own moto APIs and export their ARNs."""
    secrets = boto3.client("secretsmanager", region_name=REGION)
    for export, secret_name in DATA_SECRETS.items():
        arn = secrets.create_secret(Name=secret_name, SecretString="stand-in")["ARN"]
        deployment.secret_arns[export] = arn
    cluster_arn = boto3.client("kafka", region_name=REGION).create_cluster_v2(
        ClusterName=f"insertcoin-{ENV}",
        Provisioned={"BrokerNodeGroupInfo": {"InstanceType": "kafka.t3.small",
                                             "ClientSubnets": ["subnet-a", "subnet-b"]},
                     "KafkaVersion": "3.6.0", "NumberOfBrokerNodes": 2})["ClusterArn"]
    values = dict(deployment.secret_arns, KafkaClusterArn=cluster_arn)
    template = {
        "Resources": {"Marker": {"Type": "AWS::SSM::Parameter",
                                 "Properties": {"Name": "/insertcoin/stand-in", "Type": "String",
                                                "Value": "stand-in for data.yaml outputs"}}},
        "Outputs": {key: {"Value": value, "Export": {"Name": f"insertcoin-{ENV}-{key}"}}
                    for key, value in values.items()},
    }
    _create(cf, "data-stand-in", template, {})


@pytest.fixture(scope="module")
def deployed():
    """All six stacks in one mock account, in the order docs/DEPLOY.md gives."""
    supported = set(get_model_map())
    deployment = Deployment()
    with mock_aws(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto warns about every type it skips
        cf = boto3.client("cloudformation", region_name=REGION)
        for name in ("registry", "network", "data", "app", "crawlers", "pipeline"):
            template, dropped = moto_subset(load_template(name), supported, UNRESOLVABLE_OUTPUTS)
            if name == "data":
                # moto resolves Ref to a DBParameterGroup into an object, not its name, and then
                # fails; the link is asserted on the template (test_deploy_moto.py) instead.
                template["Resources"]["Database"]["Properties"].pop("DBParameterGroupName")
            deployment.dropped[name] = dropped
            _create(cf, name, template, PARAMETERS.get(name, {}))
            if name == "data":
                _stand_in_for_data_outputs(cf, deployment)
        deployment.exports = {e["Name"]: e["Value"] for e in cf.list_exports()["Exports"]}
        yield deployment
