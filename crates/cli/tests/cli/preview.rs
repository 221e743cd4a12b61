//! `lpconvert preview` (issue 15): for a CSV and an NDJSON schema, each record's reads, the
//! lines convert writes for it and its row error exactly as convert names it; stdin; colour
//! only when asked or on a terminal; and `completions` / `man` (shell scripts bash loads, a
//! roff page).

use crate::support::{
    assert_exit, lpconvert, lpconvert_command, run_in, stderr, stdout, wait_until, write_in,
    TempDir,
};
use std::time::Duration;

const CPU: &str = "measurement = \"cpu\"\n[timestamp]\ncolumn = \"time\"\nformat = \"unix_s\"\n\
                   [tags]\nhost = \"host\"\n[fields]\nusage = \"float\"\n";
const CPU_CSV: &str = "time,host,usage\n1700000000,a,0.5\n1700000010,b,x\n1700000020,c,\n\
                       1700000030,d,0.7\n";

const ENV: &str = "measurement = \"env\"\nprecision = \"s\"\n[timestamp]\n\
                   path = \"/readings/*/t\"\nformat = \"unix_s\"\n[tags]\n\
                   site = { path = \"/site\" }\n[fields]\n\
                   v = { path = \"/readings/*/v\", type = \"float\" }\n";
const ENV_NDJSON: &str =
    "{\"site\":\"lab\",\"readings\":[{\"t\":1,\"v\":20.5},{\"t\":2,\"v\":21.0}]}\n\
                          {\"site\":\"roof\",\"readings\":[{\"t\":3,\"v\":\"hot\"}]}\n";

/// The `error:` lines of a preview, without the prefix.
fn errors(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.trim_start().strip_prefix("error: "))
        .map(str::to_owned)
        .collect()
}

/// The `=>` lines of a preview, as line protocol.
fn written(out: &str) -> String {
    out.lines()
        .filter_map(|l| l.trim_start().strip_prefix("=> "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn csv_preview_shows_reads_lines_and_convert_s_errors() {
    let dir = TempDir::new("preview-csv");
    write_in(&dir, "s.toml", CPU);
    write_in(&dir, "cpu.csv", CPU_CSV);
    let out = run_in(&dir, &["preview", "--schema", "s.toml", "cpu.csv"], None);
    assert_exit(&out, 3);
    let o = stdout(&out);
    let want = "\
line 2:
  measurement <- value = \"cpu\"
  time        <- column \"time\" = \"1700000000\"
  tag host    <- column \"host\" = \"a\"
  field usage <- column \"usage\" = \"0.5\"
  => cpu,host=a usage=0.5 1700000000000000000
line 3:
";
    assert!(o.starts_with(want), "{o}");
    assert!(o.contains("line 4:\n"), "{o}");
    assert!(
        o.contains("  skipped: no line (every field empty)\n"),
        "{o}"
    );
    assert!(!o.contains('\x1b'), "no colour off a terminal: {o}");
    // The lines and errors are convert's, exactly.
    let conv = run_in(
        &dir,
        &["--schema", "s.toml", "--on-error", "skip", "cpu.csv"],
        None,
    );
    assert_exit(&conv, 3);
    assert_eq!(written(&o), stdout(&conv));
    let errs = errors(&o);
    assert_eq!(errs.len(), 1, "{o}");
    assert!(errs[0].starts_with("cpu.csv:3:3: "), "{o}");
    assert!(stderr(&conv).contains(&errs[0]), "{}", stderr(&conv));
    let fail = run_in(&dir, &["--schema", "s.toml", "cpu.csv"], None);
    assert_exit(&fail, 1);
    assert!(stderr(&fail).starts_with(&errs[0]), "{}", stderr(&fail));
}

#[test]
fn ndjson_preview_from_stdin_lists_each_match() {
    let dir = TempDir::new("preview-ndjson");
    write_in(&dir, "env.toml", ENV);
    let args = ["preview", "-s", "env.toml", "--format", "ndjson", "-n", "5"];
    let out = run_in(&dir, &args, Some(ENV_NDJSON.as_bytes()));
    assert_exit(&out, 3);
    let o = stdout(&out);
    assert!(
        o.contains("  field v     <- path \"/readings/*/v\" = {0: 20.5, 1: 21.0}\n"),
        "{o}"
    );
    assert!(
        o.contains("  tag site    <- path \"/site\" = \"lab\"\n"),
        "{o}"
    );
    assert_eq!(
        written(&o),
        "env,site=lab v=20.5 1\nenv,site=lab v=21.0 2\n"
    );
    let errs = errors(&o);
    assert_eq!(errs.len(), 1, "{o}");
    assert!(errs[0].starts_with("<stdin>:2:39: field v"), "{o}");
    let conv = run_in(
        &dir,
        &["-s", "env.toml", "--format", "ndjson", "--on-error", "skip"],
        Some(ENV_NDJSON.as_bytes()),
    );
    assert!(stderr(&conv).contains(&errs[0]), "{}", stderr(&conv));
}

#[test]
fn n_limits_the_records_and_says_more_follow() {
    let dir = TempDir::new("preview-n");
    write_in(&dir, "s.toml", CPU);
    write_in(&dir, "cpu.csv", CPU_CSV);
    let out = run_in(
        &dir,
        &["preview", "-s", "s.toml", "-n", "1", "cpu.csv"],
        None,
    );
    assert_exit(&out, 0);
    let o = stdout(&out);
    assert_eq!(o.matches("line ").count(), 1, "{o}");
    assert!(
        o.ends_with("(the first record; more follow: -n N shows more)\n"),
        "{o}"
    );
}

#[test]
fn n_0_is_a_usage_error_not_an_empty_input() {
    let dir = TempDir::new("preview-n0");
    write_in(&dir, "s.toml", CPU);
    write_in(&dir, "cpu.csv", CPU_CSV);
    let out = run_in(
        &dir,
        &["preview", "-s", "s.toml", "-n", "0", "cpu.csv"],
        None,
    );
    assert_exit(&out, 2);
    assert!(!stdout(&out).contains("no records"), "{}", stdout(&out));
    assert!(stderr(&out).contains("--records <N>"), "{}", stderr(&out));
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = TempDir::new("preview-colour");
    write_in(&dir, "s.toml", CPU);
    write_in(&dir, "cpu.csv", CPU_CSV);
    let args = [
        "preview", "-s", "s.toml", "-n", "2", "--color", "always", "cpu.csv",
    ];
    let o = stdout(&run_in(&dir, &args, None));
    assert!(
        o.contains("\x1b[32m=> cpu,host=a usage=0.5 1700000000000000000\x1b[0m"),
        "{o}"
    );
    assert!(o.contains("\x1b[31merror: cpu.csv:3:3: "), "{o}");
}

#[test]
fn a_schema_error_is_said_before_any_record() {
    let dir = TempDir::new("preview-schema");
    write_in(
        &dir,
        "s.toml",
        "measurement = \"m\"\n[fields]\nnope = \"float\"\n",
    );
    write_in(&dir, "cpu.csv", CPU_CSV);
    let out = run_in(&dir, &["preview", "-s", "s.toml", "cpu.csv"], None);
    assert_exit(&out, 2);
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("s.toml"), "{}", stderr(&out));
}

#[test]
fn completion_scripts_for_each_shell_and_bash_loads_one() {
    for (shell, has) in [
        ("bash", "complete -F _lpconvert"),
        ("zsh", "#compdef lpconvert"),
        ("fish", "complete -c lpconvert"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = lpconvert(&["completions", shell]);
        assert_exit(&out, 0);
        let o = stdout(&out);
        assert!(o.contains(has), "{shell}: {o}");
        for sub in ["preview", "replay", "completions", "man"] {
            assert!(o.contains(sub), "{shell} completes {sub}");
        }
    }
    let dir = TempDir::new("completions");
    let script = write_in(
        &dir,
        "lpconvert.bash",
        stdout(&lpconvert(&["completions", "bash"])),
    );
    let bash = |cmd: &str| {
        std::process::Command::new("bash")
            .args(["--norc", "-c", cmd])
            .current_dir(&dir)
            .output()
            .expect("bash")
    };
    assert!(bash(&format!("bash -n {script}")).status.success());
    let loaded = bash(&format!("source {script} && complete -p lpconvert"));
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    assert!(
        stdout(&loaded).contains("-F _lpconvert lpconvert"),
        "{}",
        stdout(&loaded)
    );
    // The loaded function completes the subcommands.
    let words = bash(&format!(
        "source {script}; COMP_WORDS=(lpconvert pre); COMP_CWORD=1; COMP_LINE='lpconvert pre'; \
         COMP_POINT=13; _lpconvert lpconvert pre lpconvert; echo \"${{COMPREPLY[@]}}\""
    ));
    assert!(stdout(&words).contains("preview"), "{}", stdout(&words));
}

#[test]
fn man_page_is_roff_with_every_subcommand() {
    let out = lpconvert(&["man"]);
    assert_exit(&out, 0);
    let page = stdout(&out);
    assert!(page.contains(".TH lpconvert 1"), "{page}");
    for sub in [
        "CONVERT",
        "PREVIEW",
        "INFER",
        "CHECK",
        "REPLAY",
        "BENCH",
        "COMPLETIONS",
    ] {
        assert!(page.contains(&format!(".SH \"LPCONVERT {sub}\"")), "{sub}");
    }
    // Read by groff (installed by run-tests.sh): no warnings, the preview layout in the text.
    let mut child = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("groff (run-tests.sh installs it)");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(page.as_bytes())
            .expect("write");
    }
    let done = child.wait_with_output().expect("groff");
    assert!(done.status.success());
    assert_eq!(String::from_utf8_lossy(&done.stderr), "");
    assert!(String::from_utf8_lossy(&done.stdout).contains("One block per record"));
}

#[test]
fn new_subcommands_are_not_taken_for_convert_inputs() {
    // `lpconvert man` is the man page, not a conversion of a file named `man`.
    let out = lpconvert(&["completions", "--help"]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("bash"), "{}", stdout(&out));
    let out = lpconvert(&["preview", "--help"]);
    assert!(
        stdout(&out).contains("One block per record"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn control_characters_from_the_data_never_reach_the_terminal() {
    let dir = TempDir::new("preview-controls");
    // String values and a bad integer holding escape sequences, a bell, a right-to-left
    // override (a header name with a control character is a schema error).
    write_in(
        &dir,
        "s.toml",
        "measurement = \"m\"\n[fields]\ns = \"string\"\nn = \"integer\"\nx = \"string\"\n",
    );
    let data = "s,n,x\n\"a\x1b[31mred\x1b]0;title\x07\",1,\u{202e}q\nb,2\x1b[1m,c\n";
    write_in(&dir, "d.csv", data);
    for colour in ["never", "always"] {
        let args = ["preview", "-s", "s.toml", "--color", colour, "d.csv"];
        let out = run_in(&dir, &args, None);
        assert_exit(&out, 3);
        let o = stdout(&out);
        // Only our own colour codes: every ESC starts `ESC[<digits>m`.
        let ours = o
            .replace("\x1b[0m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[31m", "")
            .replace("\x1b[32m", "")
            .replace("\x1b[36m", "");
        let raw = |c: char| c.is_control() && c != '\n' || c == '\u{202e}';
        assert!(!ours.chars().any(raw), "{colour}: {o:?}");
        assert!(
            o.contains("=> m s=\"a\\u{1b}[31mred\\u{1b}]0;title\\u{7}\",n=1i,x=\"\\u{202e}q\""),
            "{colour}: {o}"
        );
        assert!(o.contains("\"2\\u{1b}[1m\" is not a whole number"), "{o}");
    }
}

#[test]
fn a_pipe_that_stays_open_shows_its_records_without_waiting() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = TempDir::new("preview-open-pipe");
    write_in(&dir, "s.toml", CPU);
    for n in ["3", "4"] {
        let mut child = lpconvert_command()
            .args(["preview", "-s", "s.toml", "-n", n])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Four records, the pipe kept open (a `tail -f` that has nothing new).
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(CPU_CSV.as_bytes()).expect("write");
        stdin.flush().expect("flush");
        let mut done = None;
        wait_until(Duration::from_secs(20), Duration::from_millis(20), || {
            done = child.try_wait().expect("wait");
            done.is_some()
        });
        if done.is_none() {
            let _ = child.kill();
        }
        let out = child.wait_with_output().expect("output");
        drop(stdin);
        assert!(done.is_some(), "-n {n}: still waiting: {}", stdout(&out));
        let o = stdout(&out);
        let blocks = o.lines().filter(|l| l.starts_with("line ")).count();
        assert_eq!(blocks, n.parse::<usize>().unwrap(), "{o}");
        let after = if n == "3" {
            "(the first 3 records; more follow: -n N shows more)\n"
        } else {
            "(the first 4 records; the input had not ended and was not read further)\n"
        };
        assert!(o.ends_with(after), "{o}");
    }
}
