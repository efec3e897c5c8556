/**
 * The exit code with which the agent asks its service manager for a restart on the version
 * `current` now points to (after an update switched it, or rolled it back).
 * deploy/pi/atalaya-agent.service restarts on any exit (Restart=always) and names this code in
 * RestartForceExitStatus, so a drop-in that narrows Restart= still restarts after an update.
 * 75 is EX_TEMPFAIL (sysexits.h): "try again later".
 */
export const RESTART_EXIT_CODE = 75;
