//! `berth config`: the project as Compose resolves it, or one aspect of it (services, volumes,
//! hashes, variables…), printed exactly as `docker compose config` prints it.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::Context as _;
use clap::Args;

use super::{Cli, print_stdout};
use crate::converge::hash::service_hash;
use crate::loader::tree::{Map, Value};
use crate::loader::{self, LoadOptions, interpolate};
use crate::output;

// Arguments of `berth config`.
#[derive(Debug, Args)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors docker compose config's flags"
)]
pub struct ConfigArgs {
    /// Format the output: `yaml` or `json`.
    #[arg(long, value_parser = ["yaml", "json"])]
    pub format: Option<String>,
    /// Save to file (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Only validate the configuration, don't print anything.
    #[arg(short, long)]
    pub quiet: bool,
    /// Don't interpolate environment variables.
    #[arg(long)]
    pub no_interpolate: bool,
    /// Don't normalize the compose model.
    #[arg(long)]
    pub no_normalize: bool,
    /// Don't resolve file paths.
    #[arg(long)]
    pub no_path_resolution: bool,
    /// Don't check model consistency (may produce invalid Compose output).
    #[arg(long)]
    pub no_consistency: bool,
    /// Don't resolve service env files.
    #[arg(long)]
    pub no_env_resolution: bool,
    /// Print the service names, one per line.
    #[arg(long)]
    pub services: bool,
    /// Print the volume names, one per line.
    #[arg(long)]
    pub volumes: bool,
    /// Print the network names, one per line.
    #[arg(long)]
    pub networks: bool,
    /// Print the model names, one per line.
    #[arg(long)]
    pub models: bool,
    /// Print the profile names, one per line.
    #[arg(long)]
    pub profiles: bool,
    /// Print the image names, one per line.
    #[arg(long)]
    pub images: bool,
    /// Print the service config hash, one per line (`*` for all services, or a comma list).
    #[arg(long, value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Print model variables and default values.
    #[arg(long)]
    pub variables: bool,
    /// Print the environment used for interpolation.
    #[arg(long)]
    pub environment: bool,
    /// Services to render (with their dependencies).
    #[arg(value_name = "SERVICE")]
    pub service_names: Vec<String>,
}

/// Runs `berth config`.
///
/// # Errors
/// Loading fails, or the output cannot be written.
pub fn run(cli: &Cli, args: &ConfigArgs) -> anyhow::Result<i32> {
    let project_options = cli.project_options()?;
    let mut options = LoadOptions {
        interpolate: !args.no_interpolate,
        normalize: !(args.no_normalize || cli.compatibility),
        resolve_paths: !args.no_path_resolution,
        consistency: !args.no_consistency,
        resolve_environment: !args.no_env_resolution,
        all_resources: cli.all_resources,
        services: args.service_names.clone(),
        validated: super::target::validation_memory(),
    };

    // The listings load without service environment files, as Compose does.
    let listing = args.services
        || args.volumes
        || args.networks
        || args.models
        || args.profiles
        || args.images
        || args.hash.is_some();
    if listing {
        options.resolve_environment = false;
    }
    if args.variables {
        options.interpolate = false;
        let (tree, warnings) = loader::load_tree(&project_options, &options)?;
        crate::diagnostic::print_warnings(&warnings);
        return print_variables(&tree, args.format.as_deref());
    }
    if args.no_interpolate && !listing && !args.environment {
        let (tree, warnings) = loader::load_tree(&project_options, &options)?;
        crate::diagnostic::print_warnings(&warnings);
        let tree = sorted(&tree);
        let content = match args.format.as_deref().unwrap_or("yaml") {
            "json" => output::json_pretty(&tree, "  "),
            _ => output::yaml(&tree, 4),
        };
        return emit(args, &content);
    }
    if args.services && args.no_interpolate {
        let (tree, warnings) = loader::load_tree(&project_options, &options)?;
        crate::diagnostic::print_warnings(&warnings);
        let mut text = String::new();
        if let Some(Value::Object(services)) = tree.get("services") {
            for name in services.keys() {
                let _ = writeln!(text, "{name}");
            }
        }
        print_stdout(&text)?;
        return Ok(0);
    }

    // Listings show every service Compose knows, selection aside.
    if listing {
        options.services.clear();
    }
    let loaded = loader::load(&project_options, &options)?;
    crate::diagnostic::print_warnings(&loaded.warnings);
    let project = &loaded.project;
    let mut text = String::new();

    if args.services {
        for layer in service_layers(&loaded)? {
            for name in layer {
                let _ = writeln!(text, "{name}");
            }
        }
    } else if args.volumes {
        for name in project.volumes.keys() {
            let _ = writeln!(text, "{name}");
        }
    } else if args.networks {
        for name in project.networks.keys() {
            let _ = writeln!(text, "{name}");
        }
    } else if args.models {
        for model in project.models.values() {
            if !model.model.is_empty() {
                let _ = writeln!(text, "{}", model.model);
            }
        }
    } else if let Some(selection) = &args.hash {
        let mut names: Vec<String> = if selection == "*" {
            project.services.keys().cloned().collect()
        } else {
            selection.split(',').map(str::to_owned).collect()
        };
        names.sort();
        for name in names {
            let service = project
                .services
                .get(&name)
                .with_context(|| format!("no such service: {name}"))?;
            let _ = writeln!(text, "{name} {}", service_hash(service));
        }
    } else if args.profiles {
        let mut profiles = BTreeSet::new();
        for service in project.services.values() {
            profiles.extend(service.profiles.iter().cloned());
        }
        for service in loaded.disabled_services.values() {
            if let Some(Value::Array(items)) = service.get("profiles") {
                profiles.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
        }
        for profile in profiles {
            let _ = writeln!(text, "{profile}");
        }
    } else if args.images {
        for (name, service) in &project.services {
            let image = if service.image.is_empty() {
                format!("{}-{name}", project.name)
            } else {
                service.image.clone()
            };
            let _ = writeln!(text, "{image}");
        }
    } else if args.environment {
        for (key, value) in &loaded.environment {
            let _ = writeln!(text, "{key}={value}");
        }
    } else {
        let content = match args.format.as_deref().unwrap_or("yaml") {
            "json" => output::json_pretty(&project.to_json_value(), "  "),
            _ => project.to_yaml(),
        };
        // Compose escapes every `$` so that the output loads back to the same project.
        let content = content.replace('$', "$$");
        let code = emit(args, &content);
        // The process exits next: freeing a large project one node at a time is wasted work.
        std::mem::forget(loaded);
        return code;
    }
    if !args.quiet {
        print_stdout(&text)?;
    }
    Ok(0)
}

/// Services in dependency order: dependencies first, names sorted within a layer.
fn service_layers(loaded: &loader::Loaded) -> anyhow::Result<Vec<Vec<String>>> {
    let state = loader::select::ProjectState::new(loaded.tree.clone(), loaded.profiles.clone())?;
    let graph = crate::graph::DependencyGraph::new(state.graph_nodes())?;
    Ok(graph
        .start_order()
        .into_iter()
        .map(|mut layer| {
            layer.sort();
            layer
        })
        .collect())
}

fn emit(args: &ConfigArgs, content: &str) -> anyhow::Result<i32> {
    if args.quiet {
        return Ok(0);
    }
    if let Some(path) = &args.output {
        if !content.is_empty() {
            std::fs::write(path, content).with_context(|| format!("writing {}", path.display()))?;
        }
        return Ok(0);
    }
    print_stdout(content)?;
    Ok(0)
}

/// `config --variables`: the variables the files use, as a table, JSON or YAML.
fn print_variables(tree: &Value, format: Option<&str>) -> anyhow::Result<i32> {
    let variables = interpolate::extract_variables(tree);
    let mut sorted: Vec<&interpolate::Variable> = variables.values().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let text = match format {
        Some("json") => {
            let map: Map = sorted
                .iter()
                .map(|variable| (variable.name.clone(), variable_value(variable, false)))
                .collect();
            let mut text = output::json_pretty(&Value::Object(map), "    ");
            text.push('\n');
            text
        }
        Some("yaml") => {
            let map: Map = sorted
                .iter()
                .map(|variable| (variable.name.clone(), variable_value(variable, true)))
                .collect();
            output::yaml(&Value::Object(map), 4)
        }
        _ => {
            let mut rows = vec![[
                "NAME".to_owned(),
                "REQUIRED".to_owned(),
                "DEFAULT VALUE".to_owned(),
                "ALTERNATE VALUE".to_owned(),
            ]];
            for variable in &sorted {
                rows.push([
                    variable.name.clone(),
                    variable.required.to_string(),
                    variable.default_value.clone().unwrap_or_default(),
                    variable.alternate_value.clone().unwrap_or_default(),
                ]);
            }
            table(&rows)
        }
    };
    print_stdout(&text)?;
    Ok(0)
}

fn variable_value(variable: &interpolate::Variable, lowercase: bool) -> Value {
    let key = |name: &str| {
        if lowercase {
            name.to_lowercase()
        } else {
            name.to_owned()
        }
    };
    let mut map = Map::new();
    map.insert(key("Name"), Value::String(variable.name.clone()));
    map.insert(
        key("DefaultValue"),
        Value::String(variable.default_value.clone().unwrap_or_default()),
    );
    map.insert(
        key("PresenceValue"),
        Value::String(variable.alternate_value.clone().unwrap_or_default()),
    );
    map.insert(key("Required"), Value::Bool(variable.required));
    Value::Object(map)
}

/// A table as docker's formatter writes it (Go's tabwriter: minimum width 20, padding 3).
fn table(rows: &[[String; 4]]) -> String {
    let mut widths = [0usize; 4];
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            widths[index] = widths[index].max((cell.chars().count() + 3).max(20));
        }
    }
    let mut text = String::new();
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            text.push_str(cell);
            if index + 1 < row.len() {
                text.push_str(&" ".repeat(widths[index] - cell.chars().count()));
            }
        }
        text.push('\n');
    }
    text
}

use crate::go::sorted;
