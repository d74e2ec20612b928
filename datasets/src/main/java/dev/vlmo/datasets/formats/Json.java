package dev.vlmo.datasets.formats;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vlmo.datasets.DataException;
import java.io.IOException;
import java.nio.file.Path;

/** Shared JSON reading with errors that name the file. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    static JsonNode read(Path file) {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // the parser's own message without its "Source: REDACTED" location
            com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
            throw new DataException(
                    "cannot read JSON file "
                            + file
                            + (at == null
                                    ? ""
                                    : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                            + ": "
                            + e.getOriginalMessage()
                            + " (is it complete?)",
                    e);
        } catch (IOException e) {
            throw new DataException(
                    "cannot read JSON file " + file + ": " + e.getMessage() + " (is it complete?)",
                    e);
        }
    }

    static JsonNode field(JsonNode node, String name, Path file) {
        JsonNode v = node.get(name);
        if (v == null) {
            throw new DataException("JSON file " + file + " has no '" + name + "' field");
        }
        return v;
    }
}
