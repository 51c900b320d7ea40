//! What the commands that look into a running project share (`top`, `port`, `events`, `images`,
//! `wait`, `stats`): Compose's `toProjectName`, and Docker's size units (`go-units`), which print
//! through Go's `%g`.

use super::Cli;
use super::target::Target;

/// Compose's `toProjectName`: `-p` when given, else `COMPOSE_PROJECT_NAME`, else the name of the
/// project the compose files describe. Unlike `projectOrName`, `-p` wins even with `-f`, and no
/// file is read then.
///
/// # Errors
/// No name is given and loading the files fails.
pub fn project_name(cli: &Cli) -> anyhow::Result<String> {
    if let Some(name) = cli.project_name.as_ref().filter(|name| !name.is_empty()) {
        return Ok(name.clone());
    }
    if let Ok(name) = std::env::var("COMPOSE_PROJECT_NAME")
        && !name.is_empty()
    {
        return Ok(name);
    }
    Ok(Target::resolve(cli, &[])?.name)
}

/// Go's `fmt.Sprintf("%.*g", precision, value)`: `precision` significant digits, trailing zeros
/// dropped, exponent form (`1e+03`) when the exponent is below -4 or at least `precision`.
#[must_use]
pub fn go_general(value: f64, precision: usize) -> String {
    let precision = precision.max(1);
    if value == 0.0 {
        return "0".to_owned();
    }
    if !value.is_finite() {
        return if value.is_nan() {
            "NaN".to_owned()
        } else if value > 0.0 {
            "+Inf".to_owned()
        } else {
            "-Inf".to_owned()
        };
    }
    // Rounded to `precision` digits first: the exponent is the rounded value's.
    let scientific = format!("{:.*e}", precision - 1, value);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let precision_exponent = i32::try_from(precision).unwrap_or(i32::MAX);
    if exponent < -4 || exponent >= precision_exponent {
        let mantissa = trim_fraction(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let decimals = usize::try_from(precision_exponent - 1 - exponent).unwrap_or(0);
    trim_fraction(&format!("{value:.decimals$}")).to_owned()
}

/// Drops trailing zeros after a decimal point, and the point when nothing follows it.
fn trim_fraction(number: &str) -> &str {
    if number.contains('.') {
        number.trim_end_matches('0').trim_end_matches('.')
    } else {
        number
    }
}

/// `units.HumanSizeWithPrecision`: decimal units (`B`, `kB`, `MB`…), `precision` digits.
#[must_use]
pub fn human_size(size: f64, precision: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let (size, unit) = scale(size, 1000.0, &UNITS);
    format!("{}{unit}", go_general(size, precision))
}

/// `units.BytesSize`: binary units (`B`, `KiB`, `MiB`…), four digits.
#[must_use]
pub fn bytes_size(size: f64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let (size, unit) = scale(size, 1024.0, &UNITS);
    format!("{}{unit}", go_general(size, 4))
}

/// `getSizeAndUnit`: divides by `base` while the size reaches it.
fn scale<'a>(mut size: f64, base: f64, units: &[&'a str]) -> (f64, &'a str) {
    let mut index = 0;
    while size >= base && index < units.len() - 1 {
        size /= base;
        index += 1;
    }
    (size, units[index])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_format_matches_go() {
        assert_eq!(go_general(1.984_172, 3), "1.98");
        assert_eq!(go_general(726.0, 3), "726");
        assert_eq!(go_general(1.0, 3), "1");
        assert_eq!(go_general(999.5, 3), "1e+03");
        assert_eq!(go_general(23.541_236, 4), "23.54");
        assert_eq!(go_general(700.0, 4), "700");
        assert_eq!(go_general(0.000_012_3, 3), "1.23e-05");
        assert_eq!(go_general(0.5, 3), "0.5");
    }

    #[test]
    fn sizes_read_as_docker_prints_them() {
        // `docker compose images` and `stats` on the test image and containers.
        assert_eq!(human_size(1_984_172.0, 3), "1.98MB");
        assert_eq!(human_size(796.0, 3), "796B");
        assert_eq!(human_size(0.0, 3), "0B");
        assert_eq!(human_size(1000.0, 3), "1kB");
        assert_eq!(human_size(12_345_678.0, 3), "12.3MB");
        assert_eq!(bytes_size(716_800.0), "700KiB");
        assert_eq!(bytes_size(25_276_252_160.0), "23.54GiB");
        assert_eq!(bytes_size(0.0), "0B");
        assert_eq!(bytes_size(1023.0), "1023B");
    }
}
