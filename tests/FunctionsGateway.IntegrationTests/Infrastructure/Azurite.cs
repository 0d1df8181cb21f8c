namespace FunctionsGateway.IntegrationTests.Infrastructure;

public static class Azurite
{
    /// <summary>CI and the README start Azurite on 127.0.0.1 with its default ports; a different one can be named here.</summary>
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("GATEWAY_TEST_STORAGE")
        ?? "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";
}
