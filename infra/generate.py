"""Write the deploy files read from the crawler declarations (shared/crawlers.py):
infra/cloudformation/crawlers.yaml (whole), the crawler services of docker-compose.yml and the
crawler crons of .env.example (between their ``crawlers:begin`` / ``crawlers:end`` markers).

    .venv/bin/python infra/generate.py           rewrite what is stale
    .venv/bin/python infra/generate.py --check   exit 1 naming what is stale (tests/test_generated.py)
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from shared.crawlers import DECLARED, Crawler  # noqa: E402

GENERATED = "generated from shared/crawlers.py by infra/generate.py: edit those, not this"
ARN = "arn:${AWS::Partition}"
TOPIC = "!Sub " + ARN + ":kafka:${AWS::Region}:${AWS::AccountId}:topic/insertcoin-${EnvironmentName}/*/insertcoin."


def secret_export(variable: str) -> str:
    """The data stack's export of a secret's ARN: KOREAEXIM_AUTHKEY -> KoreaeximAuthkeyArn."""
    return "".join(part.capitalize() for part in variable.lower().split("_")) + "Arn"


def cloudformation() -> str:
    out = [f"# {GENERATED}", 'AWSTemplateFormatVersion: "2010-09-09"', "Description: >-",
           "  insertcoin crawlers: one Fargate task definition, task role, log group and EventBridge Scheduler",
           "  schedule (cron in Asia/Seoul) per crawler. Crawlers publish to MSK with IAM auth, archive raw",
           "  responses to S3, and get no database credentials. They run the image tag the release step",
           "  moves (ReleaseTag), so each scheduled run picks up the last released build.", "",
           "Parameters:", PARAMETERS.strip("\n")]
    for c in DECLARED:
        out += [f"  {c.logical}Schedule:", "    Type: String", f'    Default: "{c.eventbridge_cron}"',
                "    Description: " + json.dumps(f"{c.command} runs {c.when} (EventBridge Scheduler cron, Asia/Seoul).")]
    secrets = [s for c in DECLARED for s in c.secrets]
    out += ["", "Resources:", "  # Pulls the image, writes logs and reads the crawlers' secrets when a crawler starts.",
            "  CrawlerExecutionRole:", *ROLE.strip("\n").splitlines()]
    if secrets:
        out += ["      Policies:", "        - PolicyName: crawler-secrets", "          PolicyDocument:",
                '            Version: "2012-10-17"', "            Statement:", "              - Effect: Allow",
                "                Action: secretsmanager:GetSecretValue", "                Resource:"]
        out += [f'                  - !ImportValue {{"Fn::Sub": "insertcoin-${{EnvironmentName}}-{secret_export(s)}"}}'
                for s in secrets]
    out += ["", SCHEDULER_ROLE.rstrip()]
    out += [f"                  - !Sub {ARN}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:task-definition/"
            f"insertcoin-${{EnvironmentName}}-{c.command}:*" for c in DECLARED]
    out += ["                Condition:", "                  ArnEquals:",
            '                    ecs:cluster: !ImportValue {"Fn::Sub": "insertcoin-${EnvironmentName}-ClusterArn"}',
            "              - Effect: Allow", "                Action: iam:PassRole", "                Resource:",
            "                  - !GetAtt CrawlerExecutionRole.Arn"]
    out += [f"                  - !GetAtt {c.logical}TaskRole.Arn" for c in DECLARED]
    out += ["                Condition:", "                  StringLike:",
            "                    iam:PassedToService: ecs-tasks.amazonaws.com"]
    for c in DECLARED:
        out += ["", f"  # ---------------------------------------------------------------- {c.command}",
                _block(c).rstrip()]
    out += ["", "Outputs:"]
    for c in DECLARED:
        out += [f"  {c.logical}TaskDefinitionArn:", f"    Value: !Ref {c.logical}TaskDefinition"]
    return "\n".join(out) + "\n"


def _block(c: Crawler) -> str:
    topics = "\n".join(f"                  - {TOPIC}{s}" for s in ("crawl_run", "dead_letter", *c.streams))
    secrets = ""
    if c.secrets:
        secrets = "\n          Secrets:" + "".join(
            f"\n            - Name: {s}\n              ValueFrom: !ImportValue "
            f'{{"Fn::Sub": "insertcoin-${{EnvironmentName}}-{secret_export(s)}"}}' for s in c.secrets)
    return (BLOCK.replace("@Logical@", c.logical).replace("@name@", c.command).replace("@TOPICS@", topics)
            .replace("@SIZE@", "BrowserCrawler" if c.browser else "Crawler")
            .replace("@REPO@", "BrowserRepositoryUri" if c.browser else "RepositoryUri")
            .replace("@SECRETS@", secrets))


def compose_services() -> str:
    out = [f"  # crawlers:begin ({GENERATED})"]
    for c in DECLARED:
        out += [f"  {c.command}:", "    <<: *crawler"]
        if c.browser:
            out += ["    build:", "      <<: *build", "      target: app-browser",
                    "    image: insertcoin-browser:${IMAGE_TAG:-latest}"]
        start = ' "--run-at-start",' if c.run_at_start else ""
        out += [f'    command: ["schedule", "--cron", "${{{c.cron_variable}:-{c.cron}}}",{start} "--", "crawl", "{c.command}"]',
                "    environment:", "      <<: *crawler-env"]
        out += ["      CHROMIUM_PATH: /usr/bin/chromium"] if c.browser else []
        out += [f"      {s}: ${{{s}:-}}" for s in c.secrets]
        out.append("")
    out[-1] = "  # crawlers:end"
    return "\n".join(out)


def env_crons() -> str:
    return "\n".join([f"# crawlers:begin ({GENERATED})", *(f'{c.cron_variable}="{c.cron}"' for c in DECLARED),
                      "# crawlers:end"])


def _between(text: str, body: str, indent: str = "") -> str:
    pattern = re.compile(rf"^{indent}# crawlers:begin.*?^{indent}# crawlers:end", re.S | re.M)
    if not pattern.search(text):
        raise SystemExit("generate: no crawlers:begin / crawlers:end markers")
    return pattern.sub(lambda _m: body, text, count=1)


def outputs() -> dict[Path, str]:
    compose, env = ROOT / "docker-compose.yml", ROOT / ".env.example"
    return {ROOT / "infra" / "cloudformation" / "crawlers.yaml": cloudformation(),
            compose: _between(compose.read_text(), compose_services(), "  "),
            env: _between(env.read_text(), env_crons())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say what is stale (exit 1), write nothing")
    args = parser.parse_args()
    stale = [path for path, text in outputs().items() if path.read_text() != text]
    for path in stale:
        if args.check:
            print(f"stale: {path.relative_to(ROOT)} (run: python infra/generate.py)")
        else:
            path.write_text(outputs()[path])
            print(f"wrote {path.relative_to(ROOT)}")
    return 1 if stale and args.check else 0


PARAMETERS = """
  EnvironmentName:
    Type: String
    Default: prod
    AllowedPattern: "^[a-z][a-z0-9-]{1,15}$"
  ReleaseTag:
    Type: String
    Default: prod
    Description: Image tag the pipeline's release step points at the newest tested image.
  KafkaBootstrapServers:
    Type: String
    MinLength: 1
    Description: >-
      MSK SASL/IAM bootstrap brokers (host:9098,...), from
      aws kafka get-bootstrap-brokers --query BootstrapBrokerStringSaslIam.
  LogLevel:
    Type: String
    Default: INFO
    AllowedValues: [DEBUG, INFO, WARNING, ERROR]
  LogRetentionDays:
    Type: Number
    Default: 30
    AllowedValues: [7, 14, 30, 60, 90, 180, 365]
  CrawlerCpu:
    Type: String
    Default: "512"
    AllowedValues: ["256", "512", "1024", "2048"]
  CrawlerMemory:
    Type: String
    Default: "1024"
    AllowedValues: ["512", "1024", "2048", "4096"]
  BrowserCrawlerCpu:
    Type: String
    Default: "1024"
    AllowedValues: ["1024", "2048"]
    Description: The browser crawlers run the insertcoin-browser image (Chromium for rendered pages).
  BrowserCrawlerMemory:
    Type: String
    Default: "2048"
    AllowedValues: ["2048", "3072", "4096"]
  SchedulesEnabled:
    Type: String
    Default: ENABLED
    AllowedValues: [ENABLED, DISABLED]
"""

ROLE = """
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub insertcoin-${EnvironmentName}-crawler-execution
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: ecs-tasks.amazonaws.com
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy
"""

SCHEDULER_ROLE = """  # EventBridge Scheduler starts the crawler tasks with this role.
  SchedulerRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub insertcoin-${EnvironmentName}-crawler-scheduler
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: scheduler.amazonaws.com
            Action: sts:AssumeRole
            Condition:
              StringEquals:
                aws:SourceAccount: !Ref AWS::AccountId
      Policies:
        - PolicyName: run-crawler-tasks
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: ecs:RunTask
                Resource:
"""

BLOCK = """  @Logical@LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /insertcoin/${EnvironmentName}/@name@
      RetentionInDays: !Ref LogRetentionDays
  @Logical@TaskRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub insertcoin-${EnvironmentName}-@name@-task
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: ecs-tasks.amazonaws.com
            Action: sts:AssumeRole
      Policies:
        - PolicyName: publish-and-archive
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: [kafka-cluster:Connect, kafka-cluster:DescribeCluster, kafka-cluster:WriteDataIdempotently]
                Resource: !ImportValue {"Fn::Sub": "insertcoin-${EnvironmentName}-KafkaClusterArn"}
              - Effect: Allow
                Action: [kafka-cluster:DescribeTopic, kafka-cluster:WriteData]
                Resource:
@TOPICS@
              - Effect: Allow
                Action: [kafka-cluster:DescribeTopic, kafka-cluster:ReadData, kafka-cluster:WriteData]
                Resource: !Sub arn:${AWS::Partition}:kafka:${AWS::Region}:${AWS::AccountId}:topic/insertcoin-${EnvironmentName}/*/insertcoin.bookmarks
              - Effect: Allow
                Action: [kafka-cluster:DescribeGroup, kafka-cluster:AlterGroup]
                Resource: !Sub arn:${AWS::Partition}:kafka:${AWS::Region}:${AWS::AccountId}:group/insertcoin-${EnvironmentName}/*/insertcoin-@name@*
              - Effect: Allow
                Action: s3:PutObject
                Resource: !Sub
                  - arn:${AWS::Partition}:s3:::${Bucket}/archive/@name@/*
                  - Bucket: !ImportValue {"Fn::Sub": "insertcoin-${EnvironmentName}-ArchiveBucketName"}
  @Logical@TaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: !Sub insertcoin-${EnvironmentName}-@name@
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: !Ref @SIZE@Cpu
      Memory: !Ref @SIZE@Memory
      RuntimePlatform:
        CpuArchitecture: X86_64
        OperatingSystemFamily: LINUX
      ExecutionRoleArn: !GetAtt CrawlerExecutionRole.Arn
      TaskRoleArn: !GetAtt @Logical@TaskRole.Arn
      ContainerDefinitions:
        - Name: @name@
          Image: !Sub
            - ${Repository}:${ReleaseTag}
            - Repository: !ImportValue {"Fn::Sub": "insertcoin-${EnvironmentName}-@REPO@"}
          Essential: true
          Command: ["crawl", "@name@"]
          Environment:
            - Name: KAFKA_BOOTSTRAP_SERVERS
              Value: !Ref KafkaBootstrapServers
            - Name: KAFKA_SECURITY_PROTOCOL
              Value: SASL_SSL
            - Name: KAFKA_SASL_MECHANISM
              Value: AWS_MSK_IAM
            - Name: AWS_DEFAULT_REGION
              Value: !Ref AWS::Region
            - Name: LOG_LEVEL
              Value: !Ref LogLevel
            - Name: ARCHIVE_DIR
              Value: !Sub
                - s3://${Bucket}/archive/@name@/
                - Bucket: !ImportValue {"Fn::Sub": "insertcoin-${EnvironmentName}-ArchiveBucketName"}@SECRETS@
          LogConfiguration:
            LogDriver: awslogs
            Options:
              awslogs-group: !Ref @Logical@LogGroup
              awslogs-region: !Ref AWS::Region
              awslogs-stream-prefix: @name@
  @Logical@CronSchedule:
    Type: AWS::Scheduler::Schedule
    Properties:
      Name: !Sub insertcoin-${EnvironmentName}-@name@
      Description: crawl @name@
      ScheduleExpression: !Ref @Logical@Schedule
      ScheduleExpressionTimezone: Asia/Seoul
      State: !Ref SchedulesEnabled
      FlexibleTimeWindow:
        Mode: "OFF"
      Target:
        Arn: !ImportValue {"Fn::Sub": "insertcoin-${EnvironmentName}-ClusterArn"}
        RoleArn: !GetAtt SchedulerRole.Arn
        RetryPolicy:
          MaximumRetryAttempts: 2
          MaximumEventAgeInSeconds: 3600
        EcsParameters:
          TaskDefinitionArn: !Ref @Logical@TaskDefinition
          LaunchType: FARGATE
          PlatformVersion: LATEST
          TaskCount: 1
          NetworkConfiguration:
            AwsvpcConfiguration:
              AssignPublicIp: DISABLED
              SecurityGroups:
                - !ImportValue {"Fn::Sub": "insertcoin-${EnvironmentName}-TaskSecurityGroup"}
              Subnets: !Split [",", !ImportValue {"Fn::Sub": "insertcoin-${EnvironmentName}-PrivateSubnets"}]
"""


if __name__ == "__main__":
    sys.exit(main())
