# Packer template: an EC2 AMI with ecsd installed and enabled, not started and
# not bound to a cluster (the cluster comes from user data at launch; see
# user-data.yaml beside this file).
#
#   scripts/package                                   # build/packages/*.deb, *.rpm
#   packer init packaging/ami
#   packer build -var region=eu-west-1 \
#     -var package=build/packages/ecsd_0.1.0-1_amd64.deb packaging/ami
#
# `os` picks the base image: "debian-12" (default; the .deb built on this
# project's Debian 12 build host) or "al2023" (give it an .rpm built on
# Amazon Linux 2023, see docs/packaging.md).

packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.2.0"
    }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "os" {
  type    = string
  default = "debian-12"
  validation {
    condition     = contains(["debian-12", "al2023"], var.os)
    error_message = "The os variable must be debian-12 or al2023."
  }
}

variable "package" {
  type        = string
  description = "Path to the ecsd .deb (debian-12) or .rpm (al2023) to install"
}

variable "instance_type" {
  type    = string
  default = "t3.small"
}

locals {
  base = {
    "debian-12" = { owner = "136693071363", name = "debian-12-amd64-*", user = "admin" }
    "al2023"    = { owner = "137112412989", name = "al2023-ami-2023.*-x86_64", user = "ec2-user" }
  }
  stamp = formatdate("YYYYMMDDhhmmss", timestamp())
}

source "amazon-ebs" "ecsd" {
  region        = var.region
  instance_type = var.instance_type
  ami_name      = "ecsd-${var.os}-${local.stamp}"
  ssh_username  = local.base[var.os].user
  source_ami_filter {
    owners      = [local.base[var.os].owner]
    most_recent = true
    filters = {
      name                = local.base[var.os].name
      architecture        = "x86_64"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
  }
  # IMDSv2 only, hop limit 2 is not needed: tasks reach credentials through
  # 169.254.170.2 (ecsd), not IMDS.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  imds_support = "v2.0"
  tags = {
    Name = "ecsd-${var.os}"
  }
}

build {
  sources = ["source.amazon-ebs.ecsd"]

  provisioner "file" {
    source      = var.package
    destination = "/tmp/${basename(var.package)}"
  }

  provisioner "shell" {
    environment_vars = ["PKG=/tmp/${basename(var.package)}"]
    execute_command  = "sudo -E sh -eu '{{ .Path }}'"
    inline = [
      "if command -v apt-get >/dev/null; then export DEBIAN_FRONTEND=noninteractive; apt-get update; apt-get install -y \"$PKG\"; else dnf install -y \"$PKG\"; fi",
      # Installed, enabled, not started; nothing cluster-specific baked in.
      "systemctl is-enabled ecsd.service",
      "! systemctl is-active --quiet ecsd.service",
      "ecsd --version",
      "ecsd doctor --offline",
      # No instance-specific state in the image.
      "rm -rf /var/lib/ecs/data/* /var/log/ecs/* \"$PKG\"",
    ]
  }
}
