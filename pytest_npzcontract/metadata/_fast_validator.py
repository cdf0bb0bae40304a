"""Generated from metadata.schema.json by fastjsonschema: do not edit; rebuild with
``python -m pytest_npzcontract.metadata.schema --write-fast-validator``."""
# ruff: noqa
VERSION = "2.22.3"
Decimal = float  # metadata is JSON: no Decimal (one is re-checked)
import re


class JsonSchemaValueException(ValueError):  # noqa: N818
    def __init__(self, message, value=None, name=None, definition=None, rule=None):
        super().__init__(message)
        self.message, self.value, self.name = message, value, name
        self.definition, self.rule = definition, rule


JsonSchemaValuesException = JsonSchemaValueException


REGEX_PATTERNS = {
    '^[0-9]+\\.[0-9]+(\\.[0-9]+)?$': re.compile('^[0-9]+\\.[0-9]+(\\.[0-9]+)?\\Z'),
    '^[0-9a-f]{64}$': re.compile('^[0-9a-f]{64}\\Z')
}

NoneType = type(None)

def validate_urn_pytest_npzcontract_metadata_1_0_0(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data_keys = set(data.keys())
        if "schema_version" in data_keys:
            data_keys.remove("schema_version")
            data__schemaversion = data["schema_version"]
            if not isinstance(data__schemaversion, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".schema_version must be string")
            if isinstance(data__schemaversion, str):
                if not REGEX_PATTERNS['^[0-9]+\\.[0-9]+(\\.[0-9]+)?$'].search(data__schemaversion):
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".schema_version must match pattern ^[0-9]+\\.[0-9]+(\\.[0-9]+)?$")
        if "creation_info" in data_keys:
            data_keys.remove("creation_info")
            data__creationinfo = data["creation_info"]
            if not isinstance(data__creationinfo, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".creation_info must be object")
            data__creationinfo_is_dict = isinstance(data__creationinfo, dict)
            if data__creationinfo_is_dict:
                data__creationinfo_keys = set(data__creationinfo.keys())
                if "timestamp" in data__creationinfo_keys:
                    data__creationinfo_keys.remove("timestamp")
                    data__creationinfo__timestamp = data__creationinfo["timestamp"]
                    if not isinstance(data__creationinfo__timestamp, (str, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".creation_info.timestamp must be string or null")
                if "script" in data__creationinfo_keys:
                    data__creationinfo_keys.remove("script")
                    data__creationinfo__script = data__creationinfo["script"]
                    if not isinstance(data__creationinfo__script, (str, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".creation_info.script must be string or null")
                if "hostname" in data__creationinfo_keys:
                    data__creationinfo_keys.remove("hostname")
                    data__creationinfo__hostname = data__creationinfo["hostname"]
                    if not isinstance(data__creationinfo__hostname, (str, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".creation_info.hostname must be string or null")
                if "version" in data__creationinfo_keys:
                    data__creationinfo_keys.remove("version")
                    data__creationinfo__version = data__creationinfo["version"]
                    if not isinstance(data__creationinfo__version, (str, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".creation_info.version must be string or null")
                if "ptychopinn_version" in data__creationinfo_keys:
                    data__creationinfo_keys.remove("ptychopinn_version")
                    data__creationinfo__ptychopinnversion = data__creationinfo["ptychopinn_version"]
                    if not isinstance(data__creationinfo__ptychopinnversion, (str, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".creation_info.ptychopinn_version must be string or null")
        if "physics_parameters" in data_keys:
            data_keys.remove("physics_parameters")
            data__physicsparameters = data["physics_parameters"]
            if not isinstance(data__physicsparameters, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters must be object")
            data__physicsparameters_is_dict = isinstance(data__physicsparameters, dict)
            if data__physicsparameters_is_dict:
                data__physicsparameters_keys = set(data__physicsparameters.keys())
                if "nphotons" in data__physicsparameters_keys:
                    data__physicsparameters_keys.remove("nphotons")
                    data__physicsparameters__nphotons = data__physicsparameters["nphotons"]
                    if not isinstance(data__physicsparameters__nphotons, (int, float, Decimal, NoneType)) or isinstance(data__physicsparameters__nphotons, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.nphotons must be number or null")
                    if isinstance(data__physicsparameters__nphotons, (int, float, Decimal)) and not isinstance(data__physicsparameters__nphotons, bool):
                        if data__physicsparameters__nphotons <= 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.nphotons must be bigger than 0")
                if "N" in data__physicsparameters_keys:
                    data__physicsparameters_keys.remove("N")
                    data__physicsparameters__N = data__physicsparameters["N"]
                    if not isinstance(data__physicsparameters__N, (int, NoneType)) and not (isinstance(data__physicsparameters__N, float) and data__physicsparameters__N.is_integer()) or isinstance(data__physicsparameters__N, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.N must be integer or null")
                    if isinstance(data__physicsparameters__N, (int, float, Decimal)) and not isinstance(data__physicsparameters__N, bool):
                        if data__physicsparameters__N < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.N must be bigger than or equal to 1")
                if "gridsize" in data__physicsparameters_keys:
                    data__physicsparameters_keys.remove("gridsize")
                    data__physicsparameters__gridsize = data__physicsparameters["gridsize"]
                    if not isinstance(data__physicsparameters__gridsize, (int, NoneType)) and not (isinstance(data__physicsparameters__gridsize, float) and data__physicsparameters__gridsize.is_integer()) or isinstance(data__physicsparameters__gridsize, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.gridsize must be integer or null")
                    if isinstance(data__physicsparameters__gridsize, (int, float, Decimal)) and not isinstance(data__physicsparameters__gridsize, bool):
                        if data__physicsparameters__gridsize < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.gridsize must be bigger than or equal to 1")
                if "probe_trainable" in data__physicsparameters_keys:
                    data__physicsparameters_keys.remove("probe_trainable")
                    data__physicsparameters__probetrainable = data__physicsparameters["probe_trainable"]
                    if not isinstance(data__physicsparameters__probetrainable, (bool, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.probe_trainable must be boolean or null")
                if "intensity_scale_trainable" in data__physicsparameters_keys:
                    data__physicsparameters_keys.remove("intensity_scale_trainable")
                    data__physicsparameters__intensityscaletrainable = data__physicsparameters["intensity_scale_trainable"]
                    if not isinstance(data__physicsparameters__intensityscaletrainable, (bool, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.intensity_scale_trainable must be boolean or null")
                if "nll_weight" in data__physicsparameters_keys:
                    data__physicsparameters_keys.remove("nll_weight")
                    data__physicsparameters__nllweight = data__physicsparameters["nll_weight"]
                    if not isinstance(data__physicsparameters__nllweight, (int, float, Decimal, NoneType)) or isinstance(data__physicsparameters__nllweight, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.nll_weight must be number or null")
                if "model_type" in data__physicsparameters_keys:
                    data__physicsparameters_keys.remove("model_type")
                    data__physicsparameters__modeltype = data__physicsparameters["model_type"]
                    if not isinstance(data__physicsparameters__modeltype, (str, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.model_type must be string or null")
                if "scale_contract_version" in data__physicsparameters_keys:
                    data__physicsparameters_keys.remove("scale_contract_version")
                    data__physicsparameters__scalecontractversion = data__physicsparameters["scale_contract_version"]
                    if not isinstance(data__physicsparameters__scalecontractversion, (str, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.scale_contract_version must be string or null")
                if "measurement_domain" in data__physicsparameters_keys:
                    data__physicsparameters_keys.remove("measurement_domain")
                    data__physicsparameters__measurementdomain = data__physicsparameters["measurement_domain"]
                    if not isinstance(data__physicsparameters__measurementdomain, (str, NoneType)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".physics_parameters.measurement_domain must be string or null")
        if "training_parameters" in data_keys:
            data_keys.remove("training_parameters")
            data__trainingparameters = data["training_parameters"]
            if not isinstance(data__trainingparameters, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".training_parameters must be object")
            data__trainingparameters_is_dict = isinstance(data__trainingparameters, dict)
            if data__trainingparameters_is_dict:
                data__trainingparameters_keys = set(data__trainingparameters.keys())
                if "n_images" in data__trainingparameters_keys:
                    data__trainingparameters_keys.remove("n_images")
                    data__trainingparameters__nimages = data__trainingparameters["n_images"]
                    if not isinstance(data__trainingparameters__nimages, (int, NoneType)) and not (isinstance(data__trainingparameters__nimages, float) and data__trainingparameters__nimages.is_integer()) or isinstance(data__trainingparameters__nimages, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".training_parameters.n_images must be integer or null")
                    if isinstance(data__trainingparameters__nimages, (int, float, Decimal)) and not isinstance(data__trainingparameters__nimages, bool):
                        if data__trainingparameters__nimages < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".training_parameters.n_images must be bigger than or equal to 0")
                if "batch_size" in data__trainingparameters_keys:
                    data__trainingparameters_keys.remove("batch_size")
                    data__trainingparameters__batchsize = data__trainingparameters["batch_size"]
                    if not isinstance(data__trainingparameters__batchsize, (int, NoneType)) and not (isinstance(data__trainingparameters__batchsize, float) and data__trainingparameters__batchsize.is_integer()) or isinstance(data__trainingparameters__batchsize, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".training_parameters.batch_size must be integer or null")
                    if isinstance(data__trainingparameters__batchsize, (int, float, Decimal)) and not isinstance(data__trainingparameters__batchsize, bool):
                        if data__trainingparameters__batchsize < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".training_parameters.batch_size must be bigger than or equal to 1")
                if "nepochs" in data__trainingparameters_keys:
                    data__trainingparameters_keys.remove("nepochs")
                    data__trainingparameters__nepochs = data__trainingparameters["nepochs"]
                    if not isinstance(data__trainingparameters__nepochs, (int, NoneType)) and not (isinstance(data__trainingparameters__nepochs, float) and data__trainingparameters__nepochs.is_integer()) or isinstance(data__trainingparameters__nepochs, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".training_parameters.nepochs must be integer or null")
                    if isinstance(data__trainingparameters__nepochs, (int, float, Decimal)) and not isinstance(data__trainingparameters__nepochs, bool):
                        if data__trainingparameters__nepochs < 0:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".training_parameters.nepochs must be bigger than or equal to 0")
        if "simulation_parameters" in data_keys:
            data_keys.remove("simulation_parameters")
            data__simulationparameters = data["simulation_parameters"]
            if not isinstance(data__simulationparameters, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".simulation_parameters must be object")
        if "additional_parameters" in data_keys:
            data_keys.remove("additional_parameters")
            data__additionalparameters = data["additional_parameters"]
            if not isinstance(data__additionalparameters, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".additional_parameters must be object")
        if "data_transformations" in data_keys:
            data_keys.remove("data_transformations")
            data__datatransformations = data["data_transformations"]
            if not isinstance(data__datatransformations, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".data_transformations must be array")
            data__datatransformations_is_list = isinstance(data__datatransformations, (list, tuple))
            if data__datatransformations_is_list:
                data__datatransformations_len = len(data__datatransformations)
                for data__datatransformations_x, data__datatransformations_item in enumerate(data__datatransformations):
                    validate____defs_transformation(data__datatransformations_item, custom_formats, (name_prefix or "data") + ".data_transformations[{data__datatransformations_x}]".format(**locals()))
        if "merge_info" in data_keys:
            data_keys.remove("merge_info")
            data__mergeinfo = data["merge_info"]
            if not isinstance(data__mergeinfo, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".merge_info must be object")
            data__mergeinfo_is_dict = isinstance(data__mergeinfo, dict)
            if data__mergeinfo_is_dict:
                data__mergeinfo_keys = set(data__mergeinfo.keys())
                if "strategy" in data__mergeinfo_keys:
                    data__mergeinfo_keys.remove("strategy")
                    data__mergeinfo__strategy = data__mergeinfo["strategy"]
                    if not (isinstance(data__mergeinfo__strategy, str) and data__mergeinfo__strategy == 'preserve_first' or isinstance(data__mergeinfo__strategy, str) and data__mergeinfo__strategy == 'validate_consistent' or isinstance(data__mergeinfo__strategy, str) and data__mergeinfo__strategy == 'preserve_separate'):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".merge_info.strategy must be one of ['preserve_first', 'validate_consistent', 'preserve_separate']")
                if "n_sources" in data__mergeinfo_keys:
                    data__mergeinfo_keys.remove("n_sources")
                    data__mergeinfo__nsources = data__mergeinfo["n_sources"]
                    if not isinstance(data__mergeinfo__nsources, (int)) and not (isinstance(data__mergeinfo__nsources, float) and data__mergeinfo__nsources.is_integer()) or isinstance(data__mergeinfo__nsources, bool):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".merge_info.n_sources must be integer")
                    if isinstance(data__mergeinfo__nsources, (int, float, Decimal)) and not isinstance(data__mergeinfo__nsources, bool):
                        if data__mergeinfo__nsources < 1:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".merge_info.n_sources must be bigger than or equal to 1")
                if "timestamp" in data__mergeinfo_keys:
                    data__mergeinfo_keys.remove("timestamp")
                    data__mergeinfo__timestamp = data__mergeinfo["timestamp"]
                    if not isinstance(data__mergeinfo__timestamp, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".merge_info.timestamp must be string")
        if "merge_strategy" in data_keys:
            data_keys.remove("merge_strategy")
            data__mergestrategy = data["merge_strategy"]
            if not isinstance(data__mergestrategy, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".merge_strategy must be string")
        if "source_datasets" in data_keys:
            data_keys.remove("source_datasets")
            data__sourcedatasets = data["source_datasets"]
            if not isinstance(data__sourcedatasets, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".source_datasets must be array")
            data__sourcedatasets_is_list = isinstance(data__sourcedatasets, (list, tuple))
            if data__sourcedatasets_is_list:
                data__sourcedatasets_len = len(data__sourcedatasets)
                for data__sourcedatasets_x, data__sourcedatasets_item in enumerate(data__sourcedatasets):
                    if not isinstance(data__sourcedatasets_item, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".source_datasets[{data__sourcedatasets_x}]".format(**locals()) + " must be object")
                    data__sourcedatasets_item_is_dict = isinstance(data__sourcedatasets_item, dict)
                    if data__sourcedatasets_item_is_dict:
                        data__sourcedatasets_item_keys = set(data__sourcedatasets_item.keys())
                        if "index" in data__sourcedatasets_item_keys:
                            data__sourcedatasets_item_keys.remove("index")
                            data__sourcedatasets_item__index = data__sourcedatasets_item["index"]
                            if not isinstance(data__sourcedatasets_item__index, (int)) and not (isinstance(data__sourcedatasets_item__index, float) and data__sourcedatasets_item__index.is_integer()) or isinstance(data__sourcedatasets_item__index, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".source_datasets[{data__sourcedatasets_x}].index".format(**locals()) + " must be integer")
                            if isinstance(data__sourcedatasets_item__index, (int, float, Decimal)) and not isinstance(data__sourcedatasets_item__index, bool):
                                if data__sourcedatasets_item__index < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".source_datasets[{data__sourcedatasets_x}].index".format(**locals()) + " must be bigger than or equal to 0")
                        if "path" in data__sourcedatasets_item_keys:
                            data__sourcedatasets_item_keys.remove("path")
                            data__sourcedatasets_item__path = data__sourcedatasets_item["path"]
                            if not isinstance(data__sourcedatasets_item__path, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".source_datasets[{data__sourcedatasets_x}].path".format(**locals()) + " must be string")
                        if "sha256" in data__sourcedatasets_item_keys:
                            data__sourcedatasets_item_keys.remove("sha256")
                            data__sourcedatasets_item__sha256 = data__sourcedatasets_item["sha256"]
                            validate____defs_sha256(data__sourcedatasets_item__sha256, custom_formats, (name_prefix or "data") + ".source_datasets[{data__sourcedatasets_x}].sha256".format(**locals()))
                        if "n_images" in data__sourcedatasets_item_keys:
                            data__sourcedatasets_item_keys.remove("n_images")
                            data__sourcedatasets_item__nimages = data__sourcedatasets_item["n_images"]
                            if not isinstance(data__sourcedatasets_item__nimages, (int)) and not (isinstance(data__sourcedatasets_item__nimages, float) and data__sourcedatasets_item__nimages.is_integer()) or isinstance(data__sourcedatasets_item__nimages, bool):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".source_datasets[{data__sourcedatasets_x}].n_images".format(**locals()) + " must be integer")
                            if isinstance(data__sourcedatasets_item__nimages, (int, float, Decimal)) and not isinstance(data__sourcedatasets_item__nimages, bool):
                                if data__sourcedatasets_item__nimages < 0:
                                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".source_datasets[{data__sourcedatasets_x}].n_images".format(**locals()) + " must be bigger than or equal to 0")
                        if "metadata" in data__sourcedatasets_item_keys:
                            data__sourcedatasets_item_keys.remove("metadata")
                            data__sourcedatasets_item__metadata = data__sourcedatasets_item["metadata"]
                            if not isinstance(data__sourcedatasets_item__metadata, (dict, NoneType)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".source_datasets[{data__sourcedatasets_x}].metadata".format(**locals()) + " must be object or null")
        if "compatibility" in data_keys:
            data_keys.remove("compatibility")
            data__compatibility = data["compatibility"]
            if not isinstance(data__compatibility, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".compatibility must be object")
            data__compatibility_is_dict = isinstance(data__compatibility, dict)
            if data__compatibility_is_dict:
                data__compatibility_keys = set(data__compatibility.keys())
                if "data_contract_version" in data__compatibility_keys:
                    data__compatibility_keys.remove("data_contract_version")
                    data__compatibility__datacontractversion = data__compatibility["data_contract_version"]
                    if not isinstance(data__compatibility__datacontractversion, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".compatibility.data_contract_version must be string")
                if "min_ptychopinn_version" in data__compatibility_keys:
                    data__compatibility_keys.remove("min_ptychopinn_version")
                    data__compatibility__minptychopinnversion = data__compatibility["min_ptychopinn_version"]
                    if not isinstance(data__compatibility__minptychopinnversion, (str)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".compatibility.min_ptychopinn_version must be string")
    return data

def validate____defs_sha256(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (str)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be string")
    if isinstance(data, str):
        if not REGEX_PATTERNS['^[0-9a-f]{64}$'].search(data):
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must match pattern ^[0-9a-f]{64}$")
    return data

def validate____defs_transformation(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("" + (name_prefix or "data") + " must be object")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['tool', 'operation']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("" + (name_prefix or "data") + " must contain ")
        data_keys = set(data.keys())
        if "tool" in data_keys:
            data_keys.remove("tool")
            data__tool = data["tool"]
            if not isinstance(data__tool, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".tool must be string")
            if isinstance(data__tool, str):
                data__tool_len = len(data__tool)
                if data__tool_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".tool must be longer than or equal to 1 characters")
        if "operation" in data_keys:
            data_keys.remove("operation")
            data__operation = data["operation"]
            if not isinstance(data__operation, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".operation must be string")
            if isinstance(data__operation, str):
                data__operation_len = len(data__operation)
                if data__operation_len < 1:
                    raise JsonSchemaValueException("" + (name_prefix or "data") + ".operation must be longer than or equal to 1 characters")
        if "timestamp" in data_keys:
            data_keys.remove("timestamp")
            data__timestamp = data["timestamp"]
            if not isinstance(data__timestamp, (str)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".timestamp must be string")
        if "parameters" in data_keys:
            data_keys.remove("parameters")
            data__parameters = data["parameters"]
            if not isinstance(data__parameters, (dict)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".parameters must be object")
        if "inputs" in data_keys:
            data_keys.remove("inputs")
            data__inputs = data["inputs"]
            if not isinstance(data__inputs, (list, tuple)):
                raise JsonSchemaValueException("" + (name_prefix or "data") + ".inputs must be array")
            data__inputs_is_list = isinstance(data__inputs, (list, tuple))
            if data__inputs_is_list:
                data__inputs_len = len(data__inputs)
                for data__inputs_x, data__inputs_item in enumerate(data__inputs):
                    if not isinstance(data__inputs_item, (dict)):
                        raise JsonSchemaValueException("" + (name_prefix or "data") + ".inputs[{data__inputs_x}]".format(**locals()) + " must be object")
                    data__inputs_item_is_dict = isinstance(data__inputs_item, dict)
                    if data__inputs_item_is_dict:
                        data__inputs_item__missing_keys = set(['name']) - data__inputs_item.keys()
                        if data__inputs_item__missing_keys:
                            raise JsonSchemaValueException("" + (name_prefix or "data") + ".inputs[{data__inputs_x}]".format(**locals()) + " must contain ")
                        data__inputs_item_keys = set(data__inputs_item.keys())
                        if "name" in data__inputs_item_keys:
                            data__inputs_item_keys.remove("name")
                            data__inputs_item__name = data__inputs_item["name"]
                            if not isinstance(data__inputs_item__name, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".inputs[{data__inputs_x}].name".format(**locals()) + " must be string")
                        if "path" in data__inputs_item_keys:
                            data__inputs_item_keys.remove("path")
                            data__inputs_item__path = data__inputs_item["path"]
                            if not isinstance(data__inputs_item__path, (str)):
                                raise JsonSchemaValueException("" + (name_prefix or "data") + ".inputs[{data__inputs_x}].path".format(**locals()) + " must be string")
                        if "sha256" in data__inputs_item_keys:
                            data__inputs_item_keys.remove("sha256")
                            data__inputs_item__sha256 = data__inputs_item["sha256"]
                            validate____defs_sha256(data__inputs_item__sha256, custom_formats, (name_prefix or "data") + ".inputs[{data__inputs_x}].sha256".format(**locals()))
    return data

validate = validate_urn_pytest_npzcontract_metadata_1_0_0
