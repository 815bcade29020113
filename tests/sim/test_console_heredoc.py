"""Shell input of the browser console: here-documents and pipes read the way bash reads them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clusterlab.sim.console.heredoc import (
    MULTI_LINE,
    NO_HERESTRING,
    NO_OUTPUT_REDIRECT,
    ONE_COMMAND,
    PIPE_ONLY,
    ShellInput,
    split_input,
)
from clusterlab.sim.console.result import CommandResult

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"


def shell(text: str) -> ShellInput:
    got = split_input(text)
    assert isinstance(got, ShellInput), got
    return got


def refused(text: str) -> CommandResult:
    got = split_input(text)
    assert isinstance(got, CommandResult), got
    return got


def test_a_plain_line_is_left_to_the_console():
    assert shell("kubectl get pods -o wide") == ShellInput("kubectl get pods -o wide", None, "")
    assert shell("kubectl get pods\n") == ShellInput("kubectl get pods")
    assert shell("  kubectl get pods  # all of them") == ShellInput("kubectl get pods")
    assert shell("") == ShellInput("")


def test_heredoc_on_kubectl_itself():
    got = shell(f"kubectl apply -f - <<EOF\n{POD}EOF\n")
    assert got == ShellInput("kubectl apply -f -", POD, "")
    # the operator may come anywhere among the words, with or without a blank
    assert shell(f"kubectl apply << EOF -f -\n{POD}EOF").command == "kubectl apply  -f -"


def test_cat_heredoc_piped_into_kubectl():
    for opener in ("cat <<EOF |", "cat <<'EOF' |", 'cat <<"EOF" |', "cat - <<EOF |",
                   "cat <<EOF|"):
        got = shell(f"{opener} kubectl apply -f -\n{POD}EOF\n")
        assert got.command == "kubectl apply -f -" and got.stdin == POD, opener


def test_quoted_delimiter_keeps_the_body_byte_for_byte():
    body = 'command: ["sh", "-c", "echo $HOSTNAME `date` \\\\ \\$x"]\n'
    for opener in ("<<'EOF'", '<<"EOF"', "<<E'O'F", "<<\\EOF"):
        assert shell(f"kubectl apply -f - {opener}\n{body}EOF\n").stdin == body, opener


def test_dash_strips_leading_tabs_from_body_and_terminator_only():
    got = shell("cat <<-EOF | kubectl apply -f -\n\t\tapiVersion: v1\n\t  kind: Pod\n\tEOF\n")
    assert got.stdin == "apiVersion: v1\n  kind: Pod\n"
    # without the dash a tab-indented terminator is body text
    got = shell("kubectl apply -f - <<EOF\na: 1\n\tEOF\nEOF\n")
    assert got.stdin == "a: 1\n\tEOF\n"


def test_unquoted_body_is_processed_like_bash_without_variables():
    got = shell("kubectl apply -f - <<EOF\nprice: \\$5 a\\\\b \\x\nlong: ab\\\ncd\nEOF\n")
    assert got.stdin == "price: $5 a\\b \\x\nlong: abcd\n"
    assert shell("kubectl apply -f - <<EOF\ncost: 5$\nEOF").stdin == "cost: 5$\n"
    r = refused("kubectl apply -f - <<EOF\nenv: $HOME/x\nEOF\n")
    assert r.stderr == (
        "error: the here-document body contains $HOME, which bash would expand in your shell; "
        "the ClusterLab console has no shell variables: quote the delimiter (<<'EOF') to pass "
        "the text unchanged\n") and r.exit_code == 1
    assert "contains $(…" in refused("cat <<EOF | kubectl apply -f -\na: $(date)\nEOF").stderr
    assert "contains `…`" in refused("cat <<EOF | kubectl apply -f -\na: `date`\nEOF").stderr


def test_unterminated_heredoc_warns_and_still_reads_to_the_end():
    got = shell("kubectl apply -f - <<EOF\napiVersion: v1\nkind: Pod")
    assert got.stdin == "apiVersion: v1\nkind: Pod\n"
    assert got.stderr == ("bash: warning: here-document at line 1 delimited by end-of-file "
                          "(wanted `EOF')\n")
    assert "(wanted `END')" in shell("cat <<'END' | kubectl apply -f -\nx\n").stderr


def test_more_lines_without_a_heredoc_are_refused():
    r = refused("kubectl get pods\nkubectl get svc")
    assert r.stderr == MULTI_LINE + "\n" and r.exit_code == 1
    assert MULTI_LINE == ("error: one command per line; multi-line input is only read as a "
                          "here-document (<<EOF … EOF)")
    # after the terminator only blank lines may follow
    assert refused(f"kubectl apply -f - <<EOF\n{POD}EOF\nkubectl get pods").stderr \
        == MULTI_LINE + "\n"
    assert shell(f"kubectl apply -f - <<EOF\n{POD}EOF\n\n  \n").stdin == POD


def test_backslash_newline_continues_the_command_line():
    got = shell("kubectl label pod web \\\n  app=web \\\n  tier=fe")
    assert got.command == "kubectl label pod web   app=web   tier=fe"


def test_crlf_from_a_pasted_windows_text():
    assert shell("kubectl apply -f - <<EOF\r\na: 1\r\nEOF\r\n").stdin == "a: 1\n"


def test_pipes_from_unknown_and_unsupported_commands():
    r = refused("foo | kubectl apply -f -")
    assert (r.stderr, r.exit_code) == ("bash: foo: command not found\n", 127)
    r = refused("kubectl create deploy web --image=nginx -o yaml | kubectl apply -f -")
    assert r.stderr == PIPE_ONLY + "\n" and r.exit_code == 1
    got = shell("cat pod.yaml | kubectl apply -f -")  # cat fails, kubectl still runs
    assert got == ShellInput("kubectl apply -f -", "", "cat: pod.yaml: No such file or directory\n")


def test_echo_feeds_kubectl():
    got = shell("echo '{\"apiVersion\": \"v1\",\n \"kind\": \"Namespace\"}' | kubectl apply -f -")
    assert got.stdin == '{"apiVersion": "v1",\n "kind": "Namespace"}\n'
    assert shell("echo -n a b | kubectl apply -f -").stdin == "a b"
    assert shell("echo -e 'a\\nb' | kubectl apply -f -").stdin == "a\nb\n"


def test_a_lone_cat_prints_its_heredoc():
    assert split_input("cat <<EOF\nhello\nEOF") == CommandResult("hello\n", "", 0)


def test_shell_syntax_the_console_does_not_run():
    assert refused("kubectl apply -f - <<").stderr == \
        "bash: syntax error near unexpected token `newline'\n"
    assert refused("kubectl apply -f - <<").exit_code == 2
    r = refused("kubectl get pods 'oops")  # same text as commands.run gives
    assert (r.stderr, r.exit_code) == ("bash: unexpected EOF while looking for matching `''\n", 2)
    for text in ("kubectl get pods; kubectl get svc", "kubectl get pods && echo ok",
                 "kubectl get pods || true", "kubectl get pods &"):
        assert refused(text).stderr == ONE_COMMAND + "\n", text
    assert refused("kubectl apply -f - <<< 'a: 1'").stderr == NO_HERESTRING + "\n"
    assert refused("kubectl get pods > pods.txt").stderr == NO_OUTPUT_REDIRECT + "\n"
    r = refused("kubectl apply -f - < pod.yaml")
    assert (r.stderr, r.exit_code) == ("bash: pod.yaml: No such file or directory\n", 1)
    assert refused("| kubectl apply -f -").stderr == \
        "bash: syntax error near unexpected token `|'\n"


def test_quotes_hide_operators():
    got = shell("kubectl exec web -- sh -c 'echo <<EOF > /tmp/x; ls | wc'")
    assert got == ShellInput("kubectl exec web -- sh -c 'echo <<EOF > /tmp/x; ls | wc'")


# --------------------------------------------------------------------------- properties

_LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
                max_size=40)


@given(st.lists(_LINE, max_size=8), st.sampled_from(["<<'EOF'", '<<"EOF"', "<<-'EOF'"]))
def test_any_body_round_trips_with_a_quoted_delimiter(lines, opener):
    strip = opener.startswith("<<-")
    lines = [ln for ln in lines if (ln.lstrip("\t") if strip else ln) != "EOF"]
    if strip:
        lines = [ln.lstrip("\t") for ln in lines]
    body = "".join(ln + "\n" for ln in lines)
    sent = "".join(("\t" if strip else "") + ln + "\n" for ln in lines)
    got = shell(f"cat {opener} | kubectl apply -f -\n{sent}EOF\n")
    assert got.stdin == body and got.stderr == ""


@given(st.lists(_LINE.filter(lambda s: not any(c in s for c in "$`\\")), max_size=8))
def test_a_body_without_shell_characters_round_trips_unquoted(lines):
    lines = [ln for ln in lines if ln != "EOF"]
    body = "".join(ln + "\n" for ln in lines)
    assert shell(f"kubectl apply -f - <<EOF\n{body}EOF").stdin == body
