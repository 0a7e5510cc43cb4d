// Pieces shared by the two task parsers: nested shapes that are the same in a
// task definition and in an ACS task (mountPoints, volumesFrom, portMappings,
// dependsOn, linuxParameters, environmentFiles, volumes), and how unknown or
// ignored fields are treated (strict for task definitions, notes for ACS).
#pragma once

#include <string>
#include <vector>

#include "agent/task/json_fields.h"
#include "agent/task/model.h"

namespace ecsd::task {

struct ParseContext {
  bool strict = true;                        // unknown fields are errors
  std::vector<std::string>* notes = nullptr;  // ignored / unknown fields, as paths
  void note(std::string s) const {
    if (notes) notes->push_back(std::move(s));
  }
};

// Unknown fields: error when strict, a note otherwise. Ignored fields: a note.
Status finish_fields(const Fields& f, const ParseContext& ctx);

Status parse_mount_points(Fields& f, const char* key, std::vector<MountPoint>& out, const ParseContext& ctx);
Status parse_volumes_from(Fields& f, const char* key, std::vector<VolumeFrom>& out, const ParseContext& ctx);
Status parse_port_mappings(Fields& f, const char* key, std::vector<PortMapping>& out, const ParseContext& ctx);
Status parse_depends_on(Fields& f, const char* key, std::vector<ContainerDependency>& out, const ParseContext& ctx);
Status parse_environment_files(Fields& f, const char* key, std::vector<EnvironmentFile>& out,
                               const ParseContext& ctx);
Status parse_linux_parameters(Fields& f, const char* key, LinuxParameters& out, const ParseContext& ctx);
// Task-definition and ACS volume shapes (ACS adds "type").
Status parse_volumes(Fields& f, const char* key, std::vector<Volume>& out, const ParseContext& ctx);

}  // namespace ecsd::task
