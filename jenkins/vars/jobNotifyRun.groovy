// jobNotifyRun runs a command under jobnotify run, on Unix (sh) and
// Windows (bat) agents alike: jobnotify sends STARTED, runs the command,
// then sends SUCCESS, FAILURE or ABORTED with its exit code, its duration
// and, with tail:, the last lines of its output:
//
//   jobNotifyRun command: './deploy.sh prod', tail: 40, fields: [stage: 'deploy']
//
// The command is a String, a script as the sh and bat steps take it: run
// by sh -e on Unix agents (the sh step's -e without its -x, whose trace
// would put the command's arguments into the log tail) and by cmd on
// Windows agents. It never enters a command line: it is written to a file
// in a directory of its own, beside the body, and the command line is
// fixed text but for the numbers and durations checked here:
//
//   jobnotify run --tail 40 --body @.jobnotify-UUID/body.json -- sh -e .jobnotify-UUID/command.sh
//
// So the quotes, $, % or & in a command are read once, by the shell that
// runs it, as in an sh or bat step. The target and switches go through
// JOBNOTIFY_* variables, the body and fields through the body file, as
// in jobNotify.
//
// Like sh, a command that exits non-zero fails the step; returnStatus:
// true returns its status instead. Before the command, the script leaves
// a mark in the directory: when it is missing after jobnotify ended, the
// command never ran and the exit status is jobnotify's (2: bad usage or config;
// 127 or 9009: no jobnotify on the agent's PATH), which fails the step,
// or under soft fail runs the command without notifications.
//
// The credential is bound around jobnotify, which needs it and whose child
// the command is; the script unsets it before the command runs.

def call(Map args = [:]) {
    String step = 'jobNotifyRun'
    jobNotify.checkArgs(step, args, ['command', 'tail', 'grace', 'returnStatus', 'body', 'fields', 'target', 'on',
                                     'previousStatus', 'credentialsId', 'tokenVariable', 'softFail'])
    if (!(args.command instanceof CharSequence) || !args.command.toString().trim()) {
        error('jobnotify: jobNotifyRun: command: want the command to run, a String as sh and bat take it')
    }
    String command = args.command.toString()
    int tail = lines(args.tail)
    String grace = duration(args.grace)
    boolean returnStatus = jobNotify.flag(step, args, 'returnStatus', false)
    Boolean softFail = jobNotify.flag(step, args, 'softFail', null)
    String tokenVariable = jobNotify.tokenVariableOf(step, args)
    String credentialsId = jobNotify.credentialsIdOf(args)
    String text = jobNotify.bodyText(step, args.body, args.fields)

    List<String> vars = jobNotify.routeVars(step, args)
    if (softFail != null) {
        vars << 'JOBNOTIFY_SOFT_FAIL=' + softFail
    }

    boolean unix = isUnix()
    // As in jobNotify: a directory of this call's own in the current
    // directory, which dir() { deleteDir() } removes, named by a random
    // UUID, so the command line stays fixed text.
    String dirName = '.jobnotify-' + UUID.randomUUID().toString()
    String scriptName = unix ? 'command.sh' : 'command.bat'
    // cmd takes / in a relative path for a switch.
    String script = dirName + (unix ? '/' : '\\') + scriptName
    String shell = unix ? 'sh -e ' + script : 'cmd /c call ' + script
    List<String> runArgs = ['run']
    if (tail > 0) {
        runArgs << '--tail ' + tail
    }
    if (grace != null) {
        runArgs << '--grace ' + grace
    }
    if (text != null) {
        runArgs << '--body @' + dirName + '/body.json'
    }
    String line = 'jobnotify ' + runArgs.join(' ') + ' -- ' + shell

    int rc = -1
    try {
        dir(dirName) {
            if (text != null) {
                writeFile(file: 'body.json', text: text, encoding: 'UTF-8')
            }
            writeFile(file: scriptName, text: scriptText(unix, dirName, command, credentialsId == null ? null : tokenVariable),
                      encoding: 'UTF-8')
        }
        withEnv(vars) {
            jobNotify.withJobNotifyCredential(credentialsId, tokenVariable) {
                rc = shellStep(unix, line)
            }
        }
        if (!fileExists(dirName + '/started')) {
            // jobnotify ended without running the command.
            notRun(rc, jobNotify.softFailing(softFail))
            rc = shellStep(unix, shell)
        }
    } finally {
        dir(dirName) {
            deleteDir()
        }
    }
    if (rc != 0 && !returnStatus) {
        error("jobnotify: jobNotifyRun: the command returned exit code ${rc}")
    }
    return rc
}

// shellStep runs line in an sh step, or in a bat step on Windows (after
// @, which keeps cmd from echoing it), and returns its exit status.
int shellStep(boolean unix, String line) {
    if (unix) {
        return sh(script: line, returnStatus: true) as int
    }
    return bat(script: '@' + line, returnStatus: true) as int
}

// scriptText is the script file: a line that unsets the credential's
// variable (when tokenVariable is not null), a line that leaves the mark
// that the command started, then the command. Jenkins writes the scripts
// of sh and bat in UTF-8, bat's with CRLF line ends; so does this.
String scriptText(boolean unix, String dirName, String command, String tokenVariable) {
    List<String> text = []
    if (unix) {
        if (tokenVariable != null) {
            text << 'unset ' + tokenVariable
        }
        text << ': > ' + dirName + '/started'
        text << command
        return text.join('\n')
    }
    // @ keeps cmd from echoing the step's own lines.
    if (tokenVariable != null) {
        text << '@set "' + tokenVariable + '="'
    }
    text << '@type nul > ' + dirName + '\\started'
    text << command
    return text.join('\n').replaceAll(/\r\n|\r|\n/, '\r\n')
}

// notRun fails the step for a jobnotify that ended without running the
// command, by its exit status; under soft fail (but for an interrupt) it
// warns instead, and the caller runs the command without notifications.
void notRun(int rc, boolean softFailing) {
    String msg
    switch (rc) {
        case 2:
            msg = 'jobnotify: bad usage, config or input (exit 2): nothing was sent and the command did not run; see the lines above'
            break
        case 130:
        case 143:
            error("jobnotify: interrupted (exit ${rc}) before the command started: the build is being aborted")
            return
        default:
            msg = "jobnotify: did not run (exit ${rc}; 127 or 9009 mean it is not on the agent's PATH), nor did the command"
    }
    if (!softFailing) {
        error(msg)
    }
    echo('WARNING: ' + msg + '; running it without notifications (soft fail)')
}

// lines is tail:, a number of lines from 0 (no tail, the default) to
// 10000, as jobnotify takes it.
int lines(v) {
    if (v == null) {
        return 0
    }
    String s = v.toString().trim()
    if (!(s ==~ /[0-9]{1,5}/) || (s as int) > 10000) {
        error("jobnotify: jobNotifyRun: tail: '${v}' is not a number of lines from 0 to 10000")
    }
    return s as int
}

// duration is grace:, a Go duration such as 3s, 500ms or 1m30s, or null
// for jobnotify's default (3s). Checked here, since it goes on the
// command line.
String duration(v) {
    if (v == null) {
        return null
    }
    String s = v.toString().trim()
    if (!(s ==~ /([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+/)) {
        error("jobnotify: jobNotifyRun: grace: '${v}' is not a duration such as 3s, 500ms or 1m30s")
    }
    return s
}
