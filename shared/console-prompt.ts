/**
 * A whole console line that is a shell prompt and nothing else: `# `, `$ `, `~ # `, `/ # `,
 * `root@host:~# `, `isolab:~# `, `[root@minikube ~]# `, `sh-5.2# `, `bash-5.2$ `. A `#` at the
 * end of a kernel line cut mid-chunk (`… Linux version 6.1.0 (…) #`) is not one: that line has
 * other words before it. The login helper of the core and the tour's "logged in" tick both
 * decide with this, so they agree.
 */
const SHELL_PROMPT = /^(?:\[[^\]\n]*\]|[\w.-]+@[\w.-]+(?::\S*)?|[\w.-]+:\S*|[\w.-]+-\d+(?:\.\d+)*|[~/]\S*)? ?[#$] ?$/;

export function isShellPromptLine(line: string): boolean {
  return line.length <= 200 && SHELL_PROMPT.test(line);
}
