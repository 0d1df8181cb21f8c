using Mono.Cecil;
using Mono.Cecil.Cil;

namespace FunctionsGateway.Tests.Architecture;

/// <summary>One use of a type by a type: <c>From</c> (defined in the inspected module) depends on <c>To</c>.</summary>
internal readonly record struct TypeDependency(TypeDefinition From, TypeReference To)
{
    public string FromName => TypeDependencies.Display(From);

    public string ToName => TypeDependencies.Display(To);

    public string ToAssembly => TypeDependencies.AssemblyOf(To);

    public override string ToString() => $"{FromName} -> {ToName} [{ToAssembly}]";
}

/// <summary>
/// Every type a type uses, read from metadata: base type, interfaces, generic constraints, attributes (and the types
/// in their arguments), fields, properties, events, signatures, overrides and method bodies (locals, catch clauses,
/// and the types, methods and fields that instructions name). Compiler-generated types (lambdas, async state
/// machines) are types of the module like any other, so what a lambda uses is seen too.
/// </summary>
internal static class TypeDependencies
{
    /// <summary>All dependencies of every type defined in <paramref name="module"/>, its own types included.</summary>
    public static IEnumerable<TypeDependency> Of(ModuleDefinition module)
        => module.GetTypes().SelectMany(type => Of(type).Select(to => new TypeDependency(type, to)));

    /// <summary>The distinct types <paramref name="type"/> uses (element types: no arrays, generic instances or modifiers).</summary>
    public static IReadOnlyList<TypeReference> Of(TypeDefinition type)
    {
        var found = new Dictionary<string, TypeReference>(StringComparer.Ordinal);

        void Add(TypeReference? reference)
        {
            switch (reference)
            {
                case null or GenericParameter:
                    return;
                case GenericInstanceType generic:
                    Add(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Add(argument);
                    }

                    return;
                case IModifierType modified:
                    Add(modified.ModifierType);
                    Add(modified.ElementType);
                    return;
                case FunctionPointerType pointer:
                    Add(pointer.ReturnType);
                    foreach (var parameter in pointer.Parameters)
                    {
                        Add(parameter.ParameterType);
                    }

                    return;
                case TypeSpecification specification: // arrays, by-ref, pointers, pinned, sentinels
                    Add(specification.ElementType);
                    return;
                default:
                    found.TryAdd(reference.Scope?.Name + "|" + reference.FullName, reference);
                    if (reference.DeclaringType is { } outer)
                    {
                        Add(outer);
                    }

                    return;
            }
        }

        void AddMethod(MethodReference? method)
        {
            if (method is null)
            {
                return;
            }

            Add(method.DeclaringType);
            Add(method.ReturnType);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType);
            }

            if (method is GenericInstanceMethod generic)
            {
                foreach (var argument in generic.GenericArguments)
                {
                    Add(argument);
                }
            }
        }

        void AddArgument(CustomAttributeArgument argument)
        {
            Add(argument.Type);
            switch (argument.Value)
            {
                case TypeReference typeOf:
                    Add(typeOf);
                    break;
                case CustomAttributeArgument boxed:
                    AddArgument(boxed);
                    break;
                case CustomAttributeArgument[] array:
                    foreach (var item in array)
                    {
                        AddArgument(item);
                    }

                    break;
            }
        }

        void AddAttributes(ICustomAttributeProvider provider)
        {
            if (!provider.HasCustomAttributes)
            {
                return;
            }

            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
                foreach (var argument in attribute.ConstructorArguments)
                {
                    AddArgument(argument);
                }

                foreach (var named in attribute.Fields.Concat(attribute.Properties))
                {
                    AddArgument(named.Argument);
                }
            }
        }

        void AddGenericParameters(IGenericParameterProvider provider)
        {
            foreach (var parameter in provider.GenericParameters)
            {
                AddAttributes(parameter);
                foreach (var constraint in parameter.Constraints)
                {
                    Add(constraint.ConstraintType);
                }
            }
        }

        AddAttributes(type);
        AddGenericParameters(type);
        Add(type.BaseType);
        foreach (var implemented in type.Interfaces)
        {
            AddAttributes(implemented);
            Add(implemented.InterfaceType);
        }

        foreach (var field in type.Fields)
        {
            AddAttributes(field);
            Add(field.FieldType);
        }

        foreach (var property in type.Properties)
        {
            AddAttributes(property);
            Add(property.PropertyType);
        }

        foreach (var @event in type.Events)
        {
            AddAttributes(@event);
            Add(@event.EventType);
        }

        foreach (var method in type.Methods)
        {
            AddAttributes(method);
            AddAttributes(method.MethodReturnType);
            AddGenericParameters(method);
            Add(method.ReturnType);
            foreach (var parameter in method.Parameters)
            {
                AddAttributes(parameter);
                Add(parameter.ParameterType);
            }

            foreach (var overridden in method.Overrides)
            {
                AddMethod(overridden);
            }

            if (!method.HasBody)
            {
                continue;
            }

            foreach (var variable in method.Body.Variables)
            {
                Add(variable.VariableType);
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                Add(handler.CatchType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference operandType:
                        Add(operandType);
                        break;
                    case MethodReference operandMethod:
                        AddMethod(operandMethod);
                        break;
                    case FieldReference operandField:
                        Add(operandField.DeclaringType);
                        Add(operandField.FieldType);
                        break;
                    case CallSite callSite:
                        Add(callSite.ReturnType);
                        foreach (var parameter in callSite.Parameters)
                        {
                            Add(parameter.ParameterType);
                        }

                        break;
                }
            }
        }

        return [.. found.Values];
    }

    /// <summary>The assembly a type is defined in (for a reference: the assembly the metadata names).</summary>
    public static string AssemblyOf(TypeReference type) => type.Scope switch
    {
        ModuleDefinition module => module.Assembly.Name.Name,
        AssemblyNameReference assembly => assembly.Name,
        ModuleReference module => Path.GetFileNameWithoutExtension(module.Name),
        _ => "?",
    };

    /// <summary>The namespace of a type, or of its outermost declaring type for a nested one.</summary>
    public static string NamespaceOf(TypeReference type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type.Namespace;
    }

    /// <summary>A type's name as C# people read it: nested types with '+', no module prefix.</summary>
    public static string Display(TypeReference type) => type.FullName.Replace('/', '+');
}
