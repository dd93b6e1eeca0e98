namespace SNoJoE.Service.Models;

public enum ModelState
{
    /// <summary>Loading the graph and warming up: live, not ready.</summary>
    Loading,
    Ready,
    /// <summary>Shutting down: in-flight images finish, new ones are refused.</summary>
    Stopping,
    /// <summary>The model could not be loaded; the process is stopping with exit code 1.</summary>
    Failed,
}
